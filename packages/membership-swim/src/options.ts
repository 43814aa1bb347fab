import { z } from "zod";
import { LAN_TIMINGS } from "./protocol/config.js";

const ms = (what: string) =>
  z
    .number({ error: `expected ${what} to be a number of milliseconds` })
    .int({ error: `expected ${what} to be a whole number of milliseconds` })
    .min(0, { error: `expected ${what} to be >= 0` });

const count = (what: string) =>
  z
    .number({ error: `expected ${what} to be a number` })
    .int({ error: `expected ${what} to be an integer` })
    .min(0, { error: `expected ${what} to be >= 0` });

/**
 * Options of `SwimMembership`. Unset values come from the `[cluster]` config section (port, host,
 * heartbeat, name, advertise, secret_keys) and otherwise from memberlist's `DefaultLANConfig`.
 */
export const swimOptions = z
  .object({
    /** Member name (memberlist's Node name); default `[cluster] name`, else the local node's name. */
    name: z.string().min(1, { error: "expected name to be a non-empty string" }).optional(),
    /** Address to bind UDP and TCP on; default `[cluster] host`. */
    host: z.string().min(1, { error: "expected host to be a non-empty string" }).optional(),
    /** Port for UDP and TCP (0: any free port); default `[cluster] port`. */
    port: z.number().int().min(0).max(65535, { error: "expected port to be from 0 to 65535" }).optional(),
    /** IP (or IP:port) other members reach this one on; default `[cluster] advertise`, else the local node's host. */
    advertise: z.string().min(1).optional(),
    /** AES keys, base64, 16/24/32 bytes; the first encrypts. Default `[cluster] secret_keys`. */
    secretKeys: z.array(z.string()).optional(),
    /** Protocol period in ms; default `[cluster] heartbeat`. */
    probeIntervalMs: ms("probeIntervalMs").min(1).optional(),
    probeTimeoutMs: ms("probeTimeoutMs").min(1).default(LAN_TIMINGS.probeTimeoutMs),
    indirectChecks: count("indirectChecks").default(LAN_TIMINGS.indirectChecks),
    retransmitMult: count("retransmitMult").min(1).default(LAN_TIMINGS.retransmitMult),
    suspicionMult: count("suspicionMult").min(1).default(LAN_TIMINGS.suspicionMult),
    suspicionMaxTimeoutMult: count("suspicionMaxTimeoutMult").min(1).default(LAN_TIMINGS.suspicionMaxTimeoutMult),
    pushPullIntervalMs: ms("pushPullIntervalMs").default(LAN_TIMINGS.pushPullIntervalMs),
    gossipIntervalMs: ms("gossipIntervalMs").default(LAN_TIMINGS.gossipIntervalMs),
    gossipNodes: count("gossipNodes").default(LAN_TIMINGS.gossipNodes),
    gossipToTheDeadMs: ms("gossipToTheDeadMs").default(LAN_TIMINGS.gossipToTheDeadMs),
    awarenessMaxMultiplier: count("awarenessMaxMultiplier").min(1).default(LAN_TIMINGS.awarenessMaxMultiplier),
    tcpTimeoutMs: ms("tcpTimeoutMs").min(1).default(LAN_TIMINGS.tcpTimeoutMs),
    udpBufferSize: count("udpBufferSize").min(576).max(65_000).default(LAN_TIMINGS.udpBufferSize),
    disableTcpPings: z.boolean().default(LAN_TIMINGS.disableTcpPings),
    compress: z.boolean().default(LAN_TIMINGS.compress),
    reconnectIntervalMs: ms("reconnectIntervalMs").default(LAN_TIMINGS.reconnectIntervalMs),
    reconnectTimeoutMs: ms("reconnectTimeoutMs").default(LAN_TIMINGS.reconnectTimeoutMs),
    /** With keys: refuse unencrypted packets (GossipVerifyIncoming). */
    verifyIncoming: z.boolean().default(true),
    /** With keys: encrypt what is sent (GossipVerifyOutgoing). */
    verifyOutgoing: z.boolean().default(true),
    /** Default wait of `leave()` for the leave message to spread, ms. */
    leaveTimeoutMs: ms("leaveTimeoutMs").default(1000),
  })
  .strict();

export type SwimOptions = z.output<typeof swimOptions>;
export type SwimOptionsInput = z.input<typeof swimOptions>;
