import type { Clock, DatagramNetwork, Logger } from "@cachecluster/core";
import type { Keyring } from "../wire/index.js";

/** Tunables of the protocol, named and defaulted as memberlist's `DefaultLANConfig`; times in ms. */
export interface ProtocolTimings {
  /** Time between probes (`[cluster] heartbeat`). LAN: 1000. */
  probeIntervalMs: number;
  /** Wait for a direct ack before asking others. LAN: 500. */
  probeTimeoutMs: number;
  /** Members asked for an indirect ping. LAN: 3. */
  indirectChecks: number;
  /** Broadcast retransmits = RetransmitMult * ceil(log10(N+1)). LAN: 4. */
  retransmitMult: number;
  /** Suspicion timeout = SuspicionMult * max(1, log10(N)) * probe interval. LAN: 4. */
  suspicionMult: number;
  /** Upper bound of the suspicion timeout, as a multiple of the lower. LAN: 6. */
  suspicionMaxTimeoutMult: number;
  /** Full-state sync period (scaled up above 32 members). LAN: 30000. */
  pushPullIntervalMs: number;
  /** Gossip period. LAN: 200. */
  gossipIntervalMs: number;
  /** Members gossiped to per period. LAN: 3. */
  gossipNodes: number;
  /** Keep gossiping to a dead member this long. LAN: 30000. */
  gossipToTheDeadMs: number;
  /** Lifeguard local health: the probe timeout scales up to this multiple. LAN: 8. */
  awarenessMaxMultiplier: number;
  /** Stream (TCP) dial + exchange timeout. LAN: 10000. */
  tcpTimeoutMs: number;
  /** Largest datagram. LAN: 1400. */
  udpBufferSize: number;
  /** Skip the TCP fallback ping. LAN: false. */
  disableTcpPings: boolean;
  /** LZW-compress datagrams and streams when smaller (EnableCompression). LAN: true. */
  compress: boolean;
  /** Re-dial seeds and failed members this often so partitions heal (serf's reconnect). 0 disables. */
  reconnectIntervalMs: number;
  /** Stop re-dialling a failed member after this long. */
  reconnectTimeoutMs: number;
}

export const LAN_TIMINGS: ProtocolTimings = {
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  pushPullIntervalMs: 30_000,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  awarenessMaxMultiplier: 8,
  tcpTimeoutMs: 10_000,
  udpBufferSize: 1400,
  disableTcpPings: false,
  compress: true,
  reconnectIntervalMs: 30_000,
  reconnectTimeoutMs: 6 * 3600_000,
};

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
  clock: Clock;
  random: () => number;
  logger: Logger;
}
