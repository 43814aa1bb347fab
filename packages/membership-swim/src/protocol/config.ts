import type { Clock, DatagramNetwork, Logger } from "@cachecluster/core";
import { z } from "zod";
import type { Keyring } from "../wire/index.js";
import type { NodeDelegate } from "./delegate.js";

/** A whole number of milliseconds, >= 0; errors name the option. */
export const ms = (what: string) =>
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
 * Tunables of the protocol, named and defaulted as memberlist's `DefaultLANConfig`; times in ms. The one
 * definition: `swimOptions` extends it, `LAN_TIMINGS` is its defaults, and the README's options table is
 * checked against its descriptions and defaults.
 */
export const protocolTimings = z.object({
  probeIntervalMs: ms("probeIntervalMs").min(1).default(1000).describe("protocol period"),
  probeTimeoutMs: ms("probeTimeoutMs").min(1).default(500).describe("wait for a direct ack"),
  indirectChecks: count("indirectChecks").default(3).describe("members asked to ping on our behalf"),
  retransmitMult: count("retransmitMult").min(1).default(4).describe("broadcast retransmits = mult * ceil(log10(N+1))"),
  suspicionMult: count("suspicionMult").min(1).default(4).describe("suspicion timeout = mult * max(1, log10 N) * period"),
  suspicionMaxTimeoutMult: count("suspicionMaxTimeoutMult").min(1).default(6).describe("upper bound of the suspicion timeout, x the lower"),
  pushPullIntervalMs: ms("pushPullIntervalMs").default(30_000).describe("full state sync period (scaled up above 32 members)"),
  gossipIntervalMs: ms("gossipIntervalMs").default(200).describe("gossip period"),
  gossipNodes: count("gossipNodes").default(3).describe("members gossiped to per period"),
  gossipToTheDeadMs: ms("gossipToTheDeadMs").default(30_000).describe("keep gossiping to a dead member this long"),
  awarenessMaxMultiplier: count("awarenessMaxMultiplier").min(1).default(8).describe("Lifeguard local health: max probe timeout multiple"),
  tcpTimeoutMs: ms("tcpTimeoutMs").min(1).default(10_000).describe("stream dial + exchange timeout"),
  udpBufferSize: count("udpBufferSize").min(576).max(65_000).default(1400).describe("largest datagram"),
  disableTcpPings: z.boolean().default(false).describe("skip the TCP fallback ping"),
  compress: z.boolean().default(true).describe("LZW-compress packets and streams when smaller"),
  reconnectIntervalMs: ms("reconnectIntervalMs").default(30_000).describe("re-dial seeds and failed members this often (0: never)"),
  reconnectTimeoutMs: ms("reconnectTimeoutMs")
    .default(6 * 3600_000)
    .describe("stop re-dialling a failed member after this long"),
});

export type ProtocolTimings = z.output<typeof protocolTimings>;

/** memberlist's `DefaultLANConfig`. */
export const LAN_TIMINGS: ProtocolTimings = protocolTimings.parse({});

export interface SwimNodeConfig extends ProtocolTimings {
  /** Member name, unique in the cluster. */
  name: string;
  bindHost: string;
  bindPort: number;
  /** IP other members reach this one on. */
  advertiseHost: string;
  /** Port other members reach this one on; default the bound port. */
  advertisePort?: number | undefined;
  /** Node metadata (<= 512 bytes). */
  meta: Uint8Array;
  keyring?: Keyring | undefined;
  /** With a keyring: refuse unencrypted packets (GossipVerifyIncoming). */
  verifyIncoming: boolean;
  /** With a keyring: encrypt what is sent (GossipVerifyOutgoing). */
  verifyOutgoing: boolean;
  network: DatagramNetwork;
  /** The application's hooks and user state (memberlist's delegates); none: memberlist without delegates. */
  delegate?: NodeDelegate | undefined;
  /** Largest user state accepted in a push/pull, and sent (a larger local state is sent as none). */
  maxUserStateBytes: number;
  /** Most user broadcasts kept queued; past it the oldest are dropped. */
  maxQueuedBroadcasts: number;
  clock: Clock;
  random: () => number;
  logger: Logger;
}
