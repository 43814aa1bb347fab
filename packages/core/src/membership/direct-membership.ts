import { ContainerModule } from "inversify";
import type { CacheClusterConfig } from "../config/schema.js";
import type { DiscoveredPeer } from "../interfaces/discovery.js";
import type { LocalNode } from "../interfaces/local-node.js";
import type { Member, Membership, MembershipEvent } from "../interfaces/membership.js";
import type { Unsubscribe } from "../interfaces/startable.js";
import { ConfigToken, LocalNodeToken, MembershipToken } from "../tokens.js";

/**
 * Membership without gossip: the members are this node plus discovery's latest list, as they are.
 * The default when no membership plugin is installed; right for static peer lists, while failure
 * detection needs `@cachecluster/membership-swim`.
 */
export class DirectMembership implements Membership {
  readonly #local: LocalNode;
  readonly #cachePort: number;
  readonly #clusterPort: number;
  readonly #listeners = new Set<(event: MembershipEvent) => void>();
  #others = new Map<string, Member>();

  constructor(local: LocalNode, config: Pick<CacheClusterConfig, "cache" | "cluster">) {
    this.#local = local;
    this.#cachePort = config.cache.port;
    this.#clusterPort = config.cluster.port;
  }

  self(): Member {
    return { id: this.#local.name, address: this.#local.host, cacheUrl: this.#local.cacheUrl, state: "alive", incarnation: 0 };
  }

  members(): readonly Member[] {
    return [this.self(), ...this.#others.values()];
  }

  async join(peers: readonly DiscoveredPeer[]): Promise<number> {
    const next = new Map<string, Member>();
    for (const peer of peers) {
      const cacheUrl = peer.cacheUrl ?? `http://${formatHost(peer.host)}:${this.#cachePort}`;
      if (cacheUrl === this.#local.cacheUrl) continue;
      const address = `${formatHost(peer.host)}:${peer.clusterPort ?? this.#clusterPort}`;
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

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.#others.clear();
  }

  #emit(event: MembershipEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

export function formatHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

export function directMembership(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(MembershipToken)
      .toResolvedValue((local: LocalNode, config: CacheClusterConfig) => new DirectMembership(local, config), [LocalNodeToken, ConfigToken])
      .inSingletonScope();
  });
}
