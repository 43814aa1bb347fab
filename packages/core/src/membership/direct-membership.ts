import type { CacheClusterConfig } from "../config/cache-cluster-config.js";
import { CacheClusterError } from "../errors.js";
import type { DiscoveredPeer } from "../interfaces/discovery.js";
import type { LocalNode } from "../interfaces/local-node.js";
import type { Member, Membership, MembershipEvent } from "../interfaces/membership.js";
import type { Unsubscribe } from "../interfaces/startable.js";
import { formatHost, joinHostPort } from "../net/host-port.js";

export interface DirectMembershipOptions {
  /** Cache port of discovered peers that give no cache URL (`[cache] port`: a fleet runs one config). */
  readonly cachePort: number;
  /** Membership port of discovered peers that give none (`[cluster] port`). */
  readonly clusterPort: number;
}

/**
 * Membership without gossip: the members are this node plus discovery's latest list, as they are.
 * The default when no membership plugin is installed; right for static peer lists, while failure
 * detection needs `@cachecluster/membership-swim`.
 */
export class DirectMembership implements Membership {
  readonly #options: DirectMembershipOptions;
  readonly #listeners = new Set<(event: MembershipEvent) => void>();
  #local: LocalNode | undefined;
  #others = new Map<string, Member>();

  constructor(options: DirectMembershipOptions) {
    this.#options = options;
  }

  /** With the ports of `[cache] port` and `[cluster] port`. */
  static fromConfig(config: Pick<CacheClusterConfig, "cache" | "cluster">): DirectMembership {
    return new this({ cachePort: config.cache.port, clusterPort: config.cluster.port });
  }

  self(): Member {
    const local = this.#local;
    if (local === undefined) throw new CacheClusterError("CACHECLUSTER_NOT_STARTED", "DirectMembership.self() called before start()");
    return { id: local.name, address: local.host, cacheUrl: local.cacheUrl, state: "alive", incarnation: 0 };
  }

  members(): readonly Member[] {
    return this.#local === undefined ? [] : [this.self(), ...this.#others.values()];
  }

  async join(peers: readonly DiscoveredPeer[]): Promise<number> {
    const local = this.#local;
    if (local === undefined) return 0;
    const next = new Map<string, Member>();
    for (const peer of peers) {
      const cacheUrl = peer.cacheUrl ?? `http://${formatHost(peer.host)}:${this.#options.cachePort}`;
      if (cacheUrl === local.cacheUrl) continue;
      const address = joinHostPort(peer.host, peer.clusterPort ?? this.#options.clusterPort);
      next.set(cacheUrl, { id: peer.name ?? cacheUrl, address, cacheUrl, state: "alive", incarnation: 0 });
    }
    const now = Date.now();
    const previous = this.#others;
    this.#others = next;
    for (const [url, member] of previous) {
      if (!next.has(url)) this.#emit({ type: "leave", member: { ...member, state: "left" }, at: now });
    }
    for (const [url, member] of next) {
      if (!previous.has(url)) this.#emit({ type: "join", member, at: now });
    }
    return next.size;
  }

  async leave(): Promise<void> {}

  onEvent(listener: (event: MembershipEvent) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(local: LocalNode): Promise<void> {
    this.#local = local;
  }

  async stop(): Promise<void> {
    this.#others.clear();
  }

  #emit(event: MembershipEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
