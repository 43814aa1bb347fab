import { z } from "zod";
import type { SwimPeer } from "./peer.js";
import { ms, protocolTimings } from "./protocol/config.js";
import { MAX_PUSH_STATE_BYTES } from "./wire/index.js";

/** A function option (zod checks it is a function; TypeScript checks its signature). */
const fn = <F>(name: string, signature: string) =>
  z.custom<F>((value) => typeof value === "function", { error: `expected ${name} to be a function ${signature}` }).optional();

/** What `notifyAlive` and `notifyMerge` return: nothing to accept, an Error to refuse. */
export type SwimRefusal = Error | undefined | void;

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
    localState: fn<(join: boolean) => Uint8Array>("localState", "(join) => Uint8Array").describe(
      "`(join) => Uint8Array`: user state sent with each push/pull (memberlist's LocalState)",
    ),
    mergeRemoteState: fn<(state: Uint8Array, join: boolean) => void>("mergeRemoteState", "(state, join) => void").describe(
      "`(state, join) => void`: the other member's user state, after a push/pull merged its members (MergeRemoteState)",
    ),
    maxUserStateBytes: z
      .number({ error: "expected maxUserStateBytes to be a number of bytes" })
      .int({ error: "expected maxUserStateBytes to be a whole number of bytes" })
      .min(0, { error: "expected maxUserStateBytes to be >= 0" })
      .max(MAX_PUSH_STATE_BYTES / 2, { error: `expected maxUserStateBytes to be at most ${MAX_PUSH_STATE_BYTES / 2}` })
      .default(1024 * 1024)
      .describe("largest user state sent or accepted in a push/pull; a larger one is logged and dropped"),
    maxQueuedBroadcasts: z
      .number({ error: "expected maxQueuedBroadcasts to be a number" })
      .int({ error: "expected maxQueuedBroadcasts to be an integer" })
      .min(1, { error: "expected maxQueuedBroadcasts to be >= 1" })
      .default(4096)
      .describe("most user broadcasts queued; past it the oldest quarter is dropped (serf's MaxQueueDepth)"),
    notifyAlive: fn<(peer: SwimPeer) => SwimRefusal>("notifyAlive", "(peer) => Error | undefined").describe(
      "`(peer) => Error or nothing`: an Error keeps a member out, not added or updated (NotifyAlive)",
    ),
    notifyMerge: fn<(peers: readonly SwimPeer[]) => SwimRefusal>("notifyMerge", "(peers) => Error | undefined").describe(
      "`(peers) => Error or nothing`: on a join, an Error refuses to merge the other cluster (NotifyMerge)",
    ),
    notifyConflict: fn<(existing: SwimPeer, other: SwimPeer) => void>("notifyConflict", "(existing, other) => void").describe(
      "`(existing, other) => void`: a member claims a known member's name from another address (NotifyConflict)",
    ),
  })
  .strict();

export type SwimOptions = z.output<typeof swimOptions>;
export type SwimOptionsInput = z.input<typeof swimOptions>;
