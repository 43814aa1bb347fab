import type { Clock } from "../interfaces/clock.js";
import { readDiagnosis } from "../interfaces/diagnosable.js";
import type { DiscoveredPeer, Discovery } from "../interfaces/discovery.js";
import type { LocalNode } from "../interfaces/local-node.js";
import type { Logger } from "../interfaces/logger.js";
import type { Membership } from "../interfaces/membership.js";

/** What the watch reads from its cluster. */
export interface WatchedCluster {
  readonly local: LocalNode;
  readonly discovery: Discovery | undefined;
  readonly membership: Membership;
  /** Peers on the ring, self included. */
  ringSize(): number;
}

/** Readiness of a node for a load balancer, with the reason in words. */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

/**
 * Watches a listening node for staying alone on its ring (local mode) although it has a discovery: after
 * `afterMs` it logs once, at warning level, why — the discovery's and membership's own diagnoses (`Diagnosable`),
 * or what the cluster saw (no peers discovered; peers discovered but none reached). A node without a discovery is
 * local on purpose and never warned about. Also answers readiness: ready once joined, deliberately local, alone
 * by discovery's account, or past `afterMs` (then it serves in local mode rather than leaving the load balancer).
 */
export class LocalModeWatch {
  readonly #cluster: WatchedCluster;
  readonly #afterMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #listeningAt: number | undefined;
  #localSince: number | undefined;
  #warned = false;
  #timer: unknown;
  #discovered: readonly DiscoveredPeer[] | undefined;
  #lastJoin: { asked: number; reached: number } | undefined;

  constructor(cluster: WatchedCluster, options: { afterMs: number; clock: Clock; logger: Logger }) {
    this.#cluster = cluster;
    this.#afterMs = options.afterMs;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /** The node listens now; its ring is as `ringChanged` last said. */
  start(): void {
    const now = this.#clock.now();
    this.#listeningAt = now;
    if (this.#cluster.ringSize() <= 1) this.#localSince = now;
    this.#arm();
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listeningAt = undefined;
  }

  /** Discovery delivered a list. */
  discovered(peers: readonly DiscoveredPeer[]): void {
    this.#discovered = peers;
  }

  /** Membership was asked to join `asked` peers other than this node and reached `reached`. */
  joined(asked: number, reached: number): void {
    this.#lastJoin = { asked, reached };
  }

  ringChanged(): void {
    if (this.#listeningAt === undefined) return;
    if (this.#cluster.ringSize() > 1) {
      this.#localSince = undefined;
      this.#warned = false;
    } else if (this.#localSince === undefined) {
      this.#localSince = this.#clock.now();
      this.#arm();
    }
  }

  /** Discovered peers other than this node (by cache URL, else by host when no port tells them apart). */
  others(): readonly DiscoveredPeer[] {
    const self = this.#cluster.local;
    return (this.#discovered ?? []).filter((p) =>
      p.cacheUrl !== undefined ? p.cacheUrl !== self.cacheUrl : p.host !== self.host || p.clusterPort !== undefined,
    );
  }

  readiness(): Readiness {
    if (this.#listeningAt === undefined) return { ready: false, reason: "not listening" };
    const size = this.#cluster.ringSize();
    if (size > 1) return { ready: true, reason: `joined: ${size} peers on the ring` };
    if (this.#cluster.discovery === undefined) return { ready: true, reason: "local mode: no discovery configured" };
    if (this.#discovered !== undefined && this.others().length === 0) return { ready: true, reason: "alone: discovery found no other node" };
    const alone = this.#clock.now() - (this.#localSince ?? this.#clock.now());
    if (alone >= this.#afterMs) return { ready: true, reason: `local mode after ${Math.round(alone / 1000)} s: ${this.explain()}` };
    return { ready: false, reason: `joining: ${this.explain()}` };
  }

  /** Why this node is alone, in one line. */
  explain(): string {
    const reasons: string[] = [];
    const { discovery, membership } = this.#cluster;
    const fromDiscovery = readDiagnosis(discovery);
    const fromMembership = readDiagnosis(membership);
    if (fromDiscovery !== undefined) reasons.push(`discovery: ${fromDiscovery}`);
    if (fromMembership !== undefined) reasons.push(`membership: ${fromMembership}`);
    if (reasons.length > 0) return reasons.join("; ");
    const others = this.others();
    if (this.#discovered === undefined) return "discovery has delivered no list yet";
    if (others.length === 0) return `discovery found no node but this one (${this.#discovered.length} in its list)`;
    const names = others.slice(0, 5).map((p) => p.cacheUrl ?? (p.clusterPort === undefined ? p.host : `${p.host}:${p.clusterPort}`));
    const listed = `${names.join(", ")}${others.length > names.length ? `, … (${others.length} in all)` : ""}`;
    if (this.#lastJoin !== undefined && this.#lastJoin.reached === 0) {
      return `membership reached none of the ${others.length} peer(s) discovery found (${listed}): are their gossip ports ([cluster] port) open and the same secret keys set?`;
    }
    return `discovery found ${others.length} peer(s) (${listed}) but none joined the ring`;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#warned || this.#afterMs <= 0 || this.#cluster.discovery === undefined) return;
    const since = this.#localSince;
    if (since === undefined) return;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#check();
      },
      Math.max(0, since + this.#afterMs - this.#clock.now()),
    );
  }

  #check(): void {
    if (this.#listeningAt === undefined || this.#warned) return;
    const since = this.#localSince;
    if (since === undefined || this.#cluster.ringSize() > 1) return;
    const alone = this.#clock.now() - since;
    if (alone < this.#afterMs) {
      this.#arm();
      return;
    }
    this.#warned = true;
    const reason = this.explain();
    this.#logger.warn(
      { aloneMs: alone, discovered: this.#discovered?.length ?? 0, reason },
      `cachecluster: still in local mode ${Math.round(alone / 1000)} s after listen(), so this node loads every key itself: ${reason}`,
    );
  }
}
