import { z } from "zod";
import { ms, protocolTimings } from "./protocol/config.js";

/**
 * Options of `SwimMembership`: the protocol's tunables (`protocolTimings`, memberlist's `DefaultLANConfig`) and
 * this member's identity. Unset identity values come from the `[cluster]` config section (port, host,
 * heartbeat, name, advertise, secret_keys).
 */
export const swimOptions = protocolTimings
  .extend({
    name: z.string().min(1, { error: "expected name to be a non-empty string" }).optional().describe("member name, unique in the cluster"),
    host: z.string().min(1, { error: "expected host to be a non-empty string" }).optional().describe("address UDP and TCP bind"),
    port: z.number().int().min(0).max(65535, { error: "expected port to be from 0 to 65535" }).optional().describe("UDP and TCP port; 0 picks a free one"),
    advertise: z.string().min(1).optional().describe("IP or IP:port others reach this member on"),
    secretKeys: z.array(z.string()).optional().describe("base64 AES keys (16/24/32 bytes); the first encrypts"),
    // Unset: `[cluster] heartbeat`, so the protocol's own default applies only through the config.
    probeIntervalMs: protocolTimings.shape.probeIntervalMs.unwrap().optional().describe("protocol period"),
    verifyIncoming: z.boolean().default(true).describe("with keys: refuse unencrypted packets (GossipVerifyIncoming)"),
    verifyOutgoing: z.boolean().default(true).describe("with keys: encrypt what is sent (GossipVerifyOutgoing)"),
    leaveTimeoutMs: ms("leaveTimeoutMs").default(1000).describe("default wait of `leave()`"),
  })
  .strict();

export type SwimOptions = z.output<typeof swimOptions>;
export type SwimOptionsInput = z.input<typeof swimOptions>;
