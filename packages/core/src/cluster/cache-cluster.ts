import type { CacheClusterConfig } from "../config/cache-cluster-config.js";
import { CacheClusterError, ConfigError, InvalidArgumentError } from "../errors.js";
import { CacheGroup, type GroupOptions } from "../engine/group.js";
import type { CacheCluster, ListenOverrides, RingView } from "../interfaces/cache-cluster.js";
import type { Group } from "../interfaces/group.js";
import { ClusterInstruments } from "../engine/instruments.js";
import { RingPeerPicker } from "../engine/peer-picker.js";
import { PeerOutliers } from "../engine/peer-outliers.js";
import type { DiscoveredPeer, Discovery } from "../interfaces/discovery.js";
import type { LocalNode } from "../interfaces/local-node.js";
import { type Member, type Membership, type MembershipEvent, type MembershipEventType, canBroadcast } from "../interfaces/membership.js";
import { GossipInvalidation } from "../engine/gossip-invalidation.js";
import type { Logger } from "../interfaces/logger.js";
import type { StoreFactory } from "../interfaces/store.js";
import type { HttpRoute, PeerRequestHandler, PeerValue, Transport } from "../interfaces/transport.js";
import { formatHost, parseHostAndPort } from "../net/host-port.js";
import { PrometheusMetrics } from "../status/cluster-metrics.js";
import { type ClusterStatus, collectStatus } from "../status/cluster-status.js";
import { healthRoutes, type HealthStatus } from "../status/health-routes.js";
import { metricsRoute, statusRoute } from "../status/status-route.js";
import { AdminServer } from "../status/admin-server.js";
import { DEFAULT_ADMIN_PORT } from "../config/schema.js";
import { type CloseOnSignalsOptions, closeOnSignals } from "./close-on-signals.js";
import { systemClock } from "../interfaces/clock.js";
import { defaultNodeName, primaryAddress } from "./local-address.js";
import { LocalModeWatch } from "./local-mode-watch.js";
import { RateTracker } from "../status/rates.js";
import { MemberAddresses } from "./member-addresses.js";

export interface CacheClusterDeps {
  readonly config: CacheClusterConfig;
  readonly logger: Logger;
  readonly membership: Membership;
  readonly storeFactory: StoreFactory;
  readonly discovery?: Discovery | undefined;
  readonly transport?: Transport | undefined;
}

const EVENT_HISTORY = 100;

/** The `CacheCluster` a container assembles (see the interface for what each member does). */
export class ClusterNode implements CacheCluster {
  readonly config: CacheClusterConfig;
  readonly picker: RingPeerPicker;
  /** Peers skipped for failing (outlier ejection), shared by the groups. */
  readonly outliers: PeerOutliers;
  /** Latency histograms fed by the groups. */
  readonly instruments = new ClusterInstruments();
  /** Counters per second for the status page. */
  readonly rates = new RateTracker();
  #local: LocalNode;
  readonly #deps: CacheClusterDeps;
  readonly #groups = new Map<string, CacheGroup>();
  readonly #events: MembershipEvent[] = [];
  readonly #lifetime = new AbortController();
  readonly #started: { stop(): Promise<void> }[] = [];
  readonly #unsubscribe: (() => void)[] = [];
  readonly #eventCounts: Record<MembershipEventType, number> = { join: 0, leave: 0, fail: 0, update: 0 };
  #metrics: PrometheusMetrics | undefined;
  /** `Date.now()` when this cluster was created (uptime on the status page). */
  readonly startedAt = Date.now();
  #state: "idle" | "starting" | "listening" | "stopping" | "stopped" = "idle";
  #url: string | undefined;
  #membershipStarted = false;
  #admin: AdminServer | undefined;
  readonly #watch: LocalModeWatch;
  readonly #memberAddresses: MemberAddresses;
  /** Gossips remove/set invalidations (`[cache] invalidation`); undefined: the HTTP fan-out. */
  readonly invalidation: GossipInvalidation | undefined;

  constructor(deps: CacheClusterDeps) {
    this.#deps = deps;
    this.config = deps.config;
    this.#local = localNodeOf(deps.config);
    this.picker = new RingPeerPicker(this.#local.cacheUrl, deps.config.cache.replicas);
    const cache = deps.config.cache;
    this.outliers = new PeerOutliers({ ejectAfter: cache.eject_after, ejectMs: cache.eject_time, maxEjectMs: 60_000 }, { logger: deps.logger });
    const local = (): LocalNode => this.#local;
    this.#watch = new LocalModeWatch(
      {
        get local() {
          return local();
        },
        discovery: deps.discovery,
        membership: deps.membership,
        ringSize: () => this.picker.ring.size,
      },
      { afterMs: deps.config.cluster.join_timeout, clock: systemClock, logger: deps.logger },
    );
    this.#memberAddresses = new MemberAddresses(deps.logger);
    this.#memberAddresses.update(this.members());
    this.invalidation = this.#gossipInvalidation();
  }

  #gossipInvalidation(): GossipInvalidation | undefined {
    const { membership, logger } = this.#deps;
    const mode = this.config.cache.invalidation;
    if (mode === "http") return undefined;
    if (!canBroadcast(membership)) {
      if (mode === "auto") return undefined;
      throw new ConfigError([
        `[cache] invalidation: "gossip" needs a membership that can broadcast (such as @cachecluster/membership-swim); ${membership.constructor.name} cannot: use "auto" or "http"`,
      ]);
    }
    return new GossipInvalidation(membership, { group: (name) => this.#groups.get(name), clock: systemClock, logger });
  }

  /**
   * Liveness and readiness for health checks (`/healthz`, `/readyz`): live until the cluster is stopped; ready
   * once listening and joined, deliberately local (no discovery), alone by discovery's account, or still alone
   * past `[cluster] join_timeout`.
   */
  health(): HealthStatus {
    const live = this.#state === "listening" || this.#state === "starting" || this.#state === "idle";
    if (this.#state !== "listening") return { live, ready: false, reason: this.#state };
    return { live, ...this.#watch.readiness() };
  }

  /** Why this node is alone on its ring (local mode), in one line; undefined when it is not. */
  localModeReason(): string | undefined {
    return this.picker.ring.size > 1 || this.#deps.discovery === undefined ? undefined : this.#watch.explain();
  }

  /**
   * This node: name, address and cache URL. Before `listen()` the URL is the configured one (`[cache] self`, else
   * `http://{host}:{[cache] port}`); after, the bound one (port 0 picks a port).
   */
  get local(): LocalNode {
    return this.#local;
  }

  get ring(): RingView {
    return this.picker.ring;
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

  /** idle (before `listen()`), starting, listening, stopping, stopped. */
  get state(): "idle" | "starting" | "listening" | "stopping" | "stopped" {
    return this.#state;
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
    const group = new CacheGroup(
      name,
      { maxBytes: this.config.cache.max_bytes, hotPolicy: this.config.cache.hot_policy, ...options },
      {
        picker: this.picker,
        client: this.#deps.transport?.client,
        storeFactory: this.#deps.storeFactory,
        logger: this.#deps.logger,
        peers: () => this.picker.ring.peers.filter((p) => p !== this.picker.self),
        invalidator: this.invalidation,
        lifetime: this.#lifetime.signal,
        outliers: this.outliers,
        instruments: this.instruments.forGroup(name),
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
    if (this.#membershipStarted) return this.#deps.membership.members();
    const l = this.#local;
    return [{ id: l.name, address: l.host, cacheUrl: l.cacheUrl, state: "alive", incarnation: 0 }];
  }

  /** The latest membership events, oldest first (at most 100). */
  events(): readonly MembershipEvent[] {
    return this.#events;
  }

  /** Membership events observed since this cluster started, by type (the history keeps only the latest 100). */
  eventCounts(): Readonly<Record<MembershipEventType, number>> {
    return { ...this.#eventCounts };
  }

  /** A snapshot for dashboards: node, mode, members and ring shares, group and cache stats, recent events. The JSON of `/_cachecluster/status.json`. */
  status(): ClusterStatus {
    return collectStatus(this);
  }

  /** Prometheus metrics of this cluster in their own prom-client Registry (`cluster.metrics.registry`), read on scrape. */
  get metrics(): PrometheusMetrics {
    return (this.#metrics ??= new PrometheusMetrics(this));
  }

  /**
   * Close gracefully on SIGTERM/SIGINT: leave the membership, finish in-flight peer requests, stop every
   * component, then exit the process. Returns a function that removes the handlers. See `CloseOnSignalsOptions`.
   */
  closeOnSignals(options: CloseOnSignalsOptions = {}): () => void {
    return closeOnSignals(this, { logger: this.#deps.logger, ...options });
  }

  /** The handler the transport calls for requests from peers: served here, never forwarded. */
  readonly peerHandler: PeerRequestHandler = {
    get: async (group, key, options) => this.#groupFor(group).serve(key, options),
    getCached: (group, key) => this.#groups.get(group)?.serveCached(key),
    remove: async (group, key) => this.#groupFor(group).removeLocal(key),
    set: async (group, key, value: PeerValue) => this.#groupFor(group).setLocal(key, value),
    isMemberAddress: (address) => this.#memberAddresses.has(address),
  };

  /**
   * Bind the cache server (`[cache] host:port`, or the overrides), then start discovery and membership.
   * Resolves once the server listens; peers are found in the background (local mode until then).
   */
  async listen(overrides: ListenOverrides = {}): Promise<{ url: string }> {
    if (this.#state !== "idle") throw new CacheClusterError("CACHECLUSTER_STOPPED", `listen() called on a cluster that is ${this.#state}`);
    this.#state = "starting";
    try {
      const { transport, membership, discovery } = this.#deps;
      const adminRoutes = this.#adminRoutes(overrides);
      if (transport !== undefined) {
        await transport.start();
        this.#started.push(transport);
        const onPeerPort = overrides.adminOnPeerPort ?? this.config.admin.on_peer_port;
        const bound = await transport.listen(this.peerHandler, {
          host: overrides.host ?? this.config.cache.host,
          port: overrides.port ?? this.config.cache.port,
          routes: [...(overrides.routes ?? []), ...(onPeerPort ? adminRoutes : [])],
        });
        if (this.config.cache.self === undefined) {
          // The transport's scheme (https with TLS), this node's advertised address, the bound port.
          const scheme = bound.url.startsWith("https:") ? "https" : "http";
          this.#local = { ...this.#local, cacheUrl: `${scheme}://${formatHost(this.#local.host)}:${bound.port}` };
          this.picker.setSelf(this.#local.cacheUrl);
        }
        this.#url = bound.url;
      }
      await this.#listenAdmin(overrides, adminRoutes);
      // Discovery first: membership consumes its results, and a discovery that loads a heavy client
      // (GCE) does it before this node starts gossiping, so the stall cannot make peers suspect it.
      if (discovery !== undefined) {
        await discovery.start();
        this.#started.push(discovery);
      }
      this.#unsubscribe.push(membership.onEvent((event) => this.#onMembership(event)));
      await membership.start(this.#local);
      this.#membershipStarted = true;
      this.#started.push(membership);
      this.invalidation?.start();
      this.#refreshRing();
      if (discovery !== undefined) {
        const join = (peers: readonly DiscoveredPeer[]): void => {
          this.#watch.discovered(peers);
          const asked = this.#watch.others().length;
          membership.join(peers).then(
            (reached) => this.#watch.joined(asked, reached),
            (error: unknown) => {
              this.#watch.joined(asked, 0);
              this.#deps.logger.warn({ err: error }, "cachecluster: joining discovered peers failed");
            },
          );
        };
        this.#unsubscribe.push(discovery.onPeers(join));
        const known = discovery.peers();
        if (known.length > 0) join(known);
      }
      this.#state = "listening";
      this.#watch.start();
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
    this.#watch.stop();
    // Queued invalidations go out before leaving, which gives them the leave's time to spread.
    this.invalidation?.stop();
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

  /** The admin listener's URL (`[admin]`: status page, metrics, health checks), once listening; undefined without one. */
  get adminUrl(): string | undefined {
    return this.#admin?.url;
  }

  async #listenAdmin(overrides: ListenOverrides, routes: readonly HttpRoute[]): Promise<void> {
    const settings = this.config.admin;
    const given = overrides.admin;
    if (given === false || (given === undefined && !settings.enabled) || routes.length === 0) return;
    const cachePort = overrides.port ?? this.config.cache.port;
    const port = given?.port ?? settings.port ?? (cachePort === 0 ? 0 : DEFAULT_ADMIN_PORT);
    const admin = new AdminServer(routes, this.#deps.logger);
    await admin.listen(given?.host ?? settings.host, port);
    this.#admin = admin;
    this.#started.push(admin);
  }

  /** Health checks, status page and metrics, as `overrides` ask: served by the admin listener (and the peer port with `on_peer_port`). */
  #adminRoutes(overrides: ListenOverrides): readonly HttpRoute[] {
    const routes: HttpRoute[] = [];
    if (overrides.healthRoutes !== false) routes.push(...healthRoutes(this));
    if (overrides.statusRoutes === false) return routes;
    routes.push(statusRoute(this));
    const metricsPath = overrides.metricsPath ?? "/metrics";
    if (metricsPath !== false && (typeof metricsPath !== "string" || !/^\/[^?#]*$/.test(metricsPath))) {
      throw new InvalidArgumentError(`expected metricsPath to be a path such as "/metrics" or false, got ${JSON.stringify(metricsPath)}`);
    }
    if (metricsPath !== false) routes.push(metricsRoute(this.metrics, metricsPath));
    return routes;
  }

  #groupFor(name: string): CacheGroup {
    const group = this.#groups.get(name);
    if (group === undefined) throw new CacheClusterError("CACHECLUSTER_NO_SUCH_GROUP", `no such group: ${name}`);
    return group;
  }

  #onMembership(event: MembershipEvent): void {
    this.#events.push(event);
    this.#eventCounts[event.type] = (this.#eventCounts[event.type] ?? 0) + 1;
    if (this.#events.length > EVENT_HISTORY) this.#events.shift();
    this.#refreshRing();
  }

  #refreshRing(): void {
    const before = this.picker.ring.peers;
    const members = this.#deps.membership.members().filter((m) => m.state === "alive" || m.state === "suspect");
    this.#memberAddresses.update(members);
    const urls = members.map((m) => m.cacheUrl);
    if (this.picker.setPeers(urls)) {
      const after = this.picker.ring.peers;
      this.#watch.ringChanged();
      this.outliers.retain(after);
      this.instruments.retainPeers(after);
      const added = after.filter((p) => !before.includes(p));
      const removed = before.filter((p) => !after.includes(p));
      // Names at most 10 peers each way: a line per change, not the whole fleet.
      this.#deps.logger.info(
        { peers: after.length, added: added.slice(0, 10), removed: removed.slice(0, 10) },
        `cachecluster: ring changed: ${after.length} peer(s), ${added.length} added, ${removed.length} removed`,
      );
    }
  }
}

/** This node as the config describes it: `[cluster] name` and `advertise`, `[cache] self` or port. */
function localNodeOf(config: CacheClusterConfig): LocalNode {
  const advertise = config.cluster.advertise;
  const host = advertise === undefined ? primaryAddress() : (parseHostAndPort(advertise)?.host ?? advertise);
  return {
    name: config.cluster.name ?? defaultNodeName(config.cache.port),
    host,
    cacheUrl: config.cache.self?.replace(/\/+$/, "") ?? `http://${formatHost(host)}:${config.cache.port}`,
  };
}
