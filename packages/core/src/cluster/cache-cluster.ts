import type { CacheClusterConfig } from "../config/schema.js";
import { CacheClusterError } from "../errors.js";
import { Group, type GroupOptions } from "../engine/group.js";
import { RingPeerPicker } from "../engine/peer-picker.js";
import type { Discovery } from "../interfaces/discovery.js";
import type { LocalNode } from "../interfaces/local-node.js";
import type { Member, Membership, MembershipEvent } from "../interfaces/membership.js";
import type { Logger, Startable } from "../interfaces/startable.js";
import type { StoreFactory } from "../interfaces/store.js";
import type { HttpRoute, PeerRequestHandler, PeerValue, Transport } from "../interfaces/transport.js";
import { formatHost } from "../membership/direct-membership.js";

export interface CacheClusterDeps {
  readonly config: CacheClusterConfig;
  readonly logger: Logger;
  readonly local: LocalNode;
  readonly membership: Membership;
  readonly storeFactory: StoreFactory;
  readonly discovery?: Discovery | undefined;
  readonly transport?: Transport | undefined;
}

export interface ListenOverrides {
  readonly host?: string;
  readonly port?: number;
  /** Extra routes on the cache server (status page, metrics). */
  readonly routes?: readonly HttpRoute[];
}

const EVENT_HISTORY = 100;

/**
 * One node: its groups, the ring over the live members, and the plugins. Before `listen()` every get is
 * served in local mode (this node loads everything); `listen()` binds the cache server, then starts
 * membership and discovery, and the ring follows the members from then on.
 */
export class CacheCluster {
  readonly config: CacheClusterConfig;
  readonly local: LocalNode;
  readonly picker: RingPeerPicker;
  readonly #deps: CacheClusterDeps;
  readonly #groups = new Map<string, Group>();
  readonly #events: MembershipEvent[] = [];
  readonly #lifetime = new AbortController();
  readonly #started: Startable[] = [];
  readonly #unsubscribe: (() => void)[] = [];
  #state: "idle" | "starting" | "listening" | "stopping" | "stopped" = "idle";
  #url: string | undefined;

  constructor(deps: CacheClusterDeps) {
    this.#deps = deps;
    this.config = deps.config;
    this.local = deps.local;
    this.picker = new RingPeerPicker(deps.local.cacheUrl, deps.config.cache.replicas);
  }

  get membership(): Membership {
    return this.#deps.membership;
  }

  get discovery(): Discovery | undefined {
    return this.#deps.discovery;
  }

  get transport(): Transport | undefined {
    return this.#deps.transport;
  }

  /** Bound cache server URL after `listen()`. */
  get url(): string | undefined {
    return this.#url;
  }

  /** Create a group (or get the existing one of that name, which must not be given new options). */
  group(name: string, options: GroupOptions): Group {
    if (this.#groups.has(name)) {
      throw new CacheClusterError("CACHECLUSTER_GROUP_EXISTS", `group "${name}" exists already; use cluster.getGroup("${name}")`);
    }
    const group = new Group(
      name,
      { maxBytes: this.config.cache.max_bytes, ...options },
      {
        picker: this.picker,
        client: this.#deps.transport?.client,
        storeFactory: this.#deps.storeFactory,
        logger: this.#deps.logger,
        peers: () => this.picker.ring.peers.filter((p) => p !== this.picker.self),
        lifetime: this.#lifetime.signal,
      },
    );
    this.#groups.set(name, group);
    return group;
  }

  getGroup(name: string): Group | undefined {
    return this.#groups.get(name);
  }

  groups(): readonly Group[] {
    return [...this.#groups.values()];
  }

  /** Members as membership sees them now (self included). */
  members(): readonly Member[] {
    return this.#deps.membership.members();
  }

  /** The latest membership events, oldest first (at most 100). */
  events(): readonly MembershipEvent[] {
    return this.#events;
  }

  /** The handler the transport calls for requests from peers: served here, never forwarded. */
  readonly peerHandler: PeerRequestHandler = {
    get: async (group, key, options) => this.#groupFor(group).serve(key, options),
    remove: async (group, key) => this.#groupFor(group).removeLocal(key),
    set: async (group, key, value: PeerValue) => this.#groupFor(group).setLocal(key, value),
  };

  /**
   * Bind the cache server (`[cache] host:port`, or the overrides), then start membership and discovery.
   * Resolves once the server listens; peers are found in the background (local mode until then).
   */
  async listen(overrides: ListenOverrides = {}): Promise<{ url: string }> {
    if (this.#state !== "idle") throw new CacheClusterError("CACHECLUSTER_STOPPED", `listen() called on a cluster that is ${this.#state}`);
    this.#state = "starting";
    try {
      const { transport, membership, discovery } = this.#deps;
      if (transport !== undefined) {
        await transport.start();
        this.#started.push(transport);
        const bound = await transport.listen(this.peerHandler, {
          host: overrides.host ?? this.config.cache.host,
          port: overrides.port ?? this.config.cache.port,
          ...(overrides.routes === undefined ? {} : { routes: overrides.routes }),
        });
        if (this.config.cache.self === undefined) {
          this.local.cacheUrl = `http://${formatHost(this.local.host)}:${bound.port}`;
          this.picker.setSelf(this.local.cacheUrl);
        }
        this.#url = bound.url;
      }
      this.#unsubscribe.push(membership.onEvent((event) => this.#onMembership(event)));
      await membership.start();
      this.#started.push(membership);
      this.#refreshRing();
      if (discovery !== undefined) {
        this.#unsubscribe.push(
          discovery.onPeers((peers) => {
            membership.join(peers).catch((error: unknown) => this.#deps.logger.warn({ err: error }, "cachecluster: joining discovered peers failed"));
          }),
        );
        await discovery.start();
        this.#started.push(discovery);
      }
      this.#state = "listening";
      return { url: this.#url ?? this.local.cacheUrl };
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Leave the membership, stop discovery, membership and transport (reverse order). Safe to call twice. */
  async close(options: { leaveTimeoutMs?: number } = {}): Promise<void> {
    if (this.#state === "stopped" || this.#state === "stopping") return;
    this.#state = "stopping";
    try {
      await this.#deps.membership.leave(options.leaveTimeoutMs ?? 1000);
    } catch (error) {
      this.#deps.logger.warn({ err: error }, "cachecluster: leave failed");
    }
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    for (const component of this.#started.splice(0).reverse()) {
      try {
        await component.stop();
      } catch (error) {
        this.#deps.logger.warn({ err: error }, "cachecluster: stopping a component failed");
      }
    }
    this.#lifetime.abort(new CacheClusterError("CACHECLUSTER_STOPPED", "the cache cluster was closed"));
    this.#state = "stopped";
  }

  #groupFor(name: string): Group {
    const group = this.#groups.get(name);
    if (group === undefined) throw new CacheClusterError("CACHECLUSTER_NO_SUCH_GROUP", `no such group: ${name}`);
    return group;
  }

  #onMembership(event: MembershipEvent): void {
    this.#events.push(event);
    if (this.#events.length > EVENT_HISTORY) this.#events.shift();
    this.#refreshRing();
  }

  #refreshRing(): void {
    const urls = this.#deps.membership
      .members()
      .filter((m) => m.state === "alive" || m.state === "suspect")
      .map((m) => m.cacheUrl);
    if (this.picker.setPeers(urls)) {
      this.#deps.logger.info({ peers: this.picker.ring.peers }, "cachecluster: ring changed");
    }
  }
}
