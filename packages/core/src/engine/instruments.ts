import { HistogramFamily } from "./histogram.js";

/** How a get ended: a cache hit, a value fetched from its owner, a load here, or an error. */
export type GetOutcome = "hit" | "peer" | "load" | "error";

/** Why a peer fetch failed, for the per-peer error counter. */
export type PeerFailureKind = "timeout" | "unreachable" | "server_error" | "bad_response" | "other";

/** Above this many peers the per-peer series are folded into `peer="other"` (series stay bounded in big fleets). */
export const PEER_SERIES_LIMIT = 100;
export const OTHER_PEERS = "other";

/** What the group records for the cluster's histograms. A group without one (unit tests) records nothing. */
export interface GroupInstruments {
  /** A get that went through a flight (a miss, or a hit found by the flight's re-check), timed. */
  getLatency(outcome: GetOutcome, seconds: number): void;
  loadDuration(ok: boolean, seconds: number): void;
  peerFetch(peer: string, seconds: number, failure: PeerFailureKind | undefined): void;
}

/**
 * The cluster's latency histograms and per-peer error counts, fed by the groups on the miss path only (a cache
 * hit costs nothing extra: hits are counted from the groups' counters at scrape time).
 */
export class ClusterInstruments {
  /** Per group: get latency by outcome (peer, load, error, and hits found by a flight's re-check). */
  readonly gets = new Map<string, HistogramFamily>();
  /** Per group: loader duration by result (ok, error). */
  readonly loads = new Map<string, HistogramFamily>();
  /** Peer fetch latency by peer (successes and failures alike). */
  readonly peerFetches = new HistogramFamily();
  /** Failed peer fetches by peer, then by kind. */
  readonly peerErrors = new Map<string, Map<PeerFailureKind, number>>();

  forGroup(group: string): GroupInstruments {
    const gets = new HistogramFamily();
    const loads = new HistogramFamily();
    this.gets.set(group, gets);
    this.loads.set(group, loads);
    return {
      getLatency: (outcome, seconds) => gets.observe(outcome, seconds),
      loadDuration: (ok, seconds) => loads.observe(ok ? "ok" : "error", seconds),
      peerFetch: (peer, seconds, failure) => this.#peerFetch(peer, seconds, failure),
    };
  }

  /** Forget the series of peers no longer on the ring. */
  retainPeers(peers: readonly string[]): void {
    const keep = new Set([...peers, OTHER_PEERS]);
    this.peerFetches.retain((p) => keep.has(p));
    for (const peer of [...this.peerErrors.keys()]) if (!keep.has(peer)) this.peerErrors.delete(peer);
  }

  #peerFetch(peer: string, seconds: number, failure: PeerFailureKind | undefined): void {
    const label = this.peerFetches.get(peer) !== undefined || this.peerFetches.size < PEER_SERIES_LIMIT ? peer : OTHER_PEERS;
    this.peerFetches.observe(label, seconds);
    if (failure === undefined) return;
    let kinds = this.peerErrors.get(label);
    if (kinds === undefined) this.peerErrors.set(label, (kinds = new Map<PeerFailureKind, number>()));
    kinds.set(failure, (kinds.get(failure) ?? 0) + 1);
  }
}
