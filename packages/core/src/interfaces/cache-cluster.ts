import type { CacheClusterConfig } from "../config/cache-cluster-config.js";
import type { CloseOnSignalsOptions } from "../cluster/close-on-signals.js";
import type { GroupOptions } from "../engine/group.js";
import type { ClusterStatus } from "../status/cluster-status.js";
import type { HealthStatus } from "../status/health-routes.js";
import type { Registry } from "prom-client";
import type { Discovery } from "./discovery.js";
import type { Group } from "./group.js";
import type { LocalNode } from "./local-node.js";
import type { Member, Membership, MembershipEvent, MembershipEventType } from "./membership.js";
import type { HttpRoute, PeerRequestHandler, Transport } from "./transport.js";

/** Options of `cluster.listen()`. */
export interface ListenOverrides {
  readonly host?: string;
  readonly port?: number;
  /** Extra routes on the cache server (the peer port); with `adminOnPeerPort`, they come before the admin ones. */
  readonly routes?: readonly HttpRoute[];
  /**
   * Where the admin listener binds, over `[admin] host` and `port`; `false`: no admin listener (over `[admin] enabled`).
   * It serves the health checks, the status page and the metrics, as the three options below say.
   */
  readonly admin?: false | { readonly host?: string; readonly port?: number };
  /** Also serve the admin endpoints on the peer port, to whoever reaches it; default `[admin] on_peer_port` (false). */
  readonly adminOnPeerPort?: boolean;
  /** Serve `/healthz` (liveness) and `/readyz` (readiness); default true. See `healthRoutes` to serve them elsewhere. */
  readonly healthRoutes?: boolean;
  /** Serve `/_cachecluster/status`, `/_cachecluster/status.json` and `/_cachecluster/metrics`; default true. */
  readonly statusRoutes?: boolean;
  /** Also serve the Prometheus metrics on this exact path; default `"/metrics"`, `false` for none. Needs `statusRoutes`. */
  readonly metricsPath?: string | false;
}

/** The consistent-hash ring as this node sees it now (read-only). */
export interface RingView {
  /** Cache base URLs on the ring, sorted (this node included). */
  readonly peers: readonly string[];
  readonly size: number;
  /** The cache URL of the owner of `key`, as golang/groupcache's ring names it; undefined when the ring is empty. */
  get(key: string): string | undefined;
  /** Share of the hash space each peer owns (0..1, summing to 1). */
  shares(): ReadonlyMap<string, number>;
}

/** This node's Prometheus metrics, collected on scrape. */
export interface ClusterMetrics {
  /** The cluster's own prom-client registry; merge it into yours with `Registry.merge`. */
  readonly registry: Registry;
  /** The exposition content type of `metrics()`. */
  readonly contentType: string;
  /** The metrics in the Prometheus text format. */
  metrics(): Promise<string>;
}

/**
 * One node of the cache cluster: its groups, the ring over the live members, and the plugins. Before `listen()`
 * every get is served in local mode (this node loads everything); `listen()` binds the cache server, then starts
 * discovery and membership, and the ring follows the members from then on. Made by `createCacheCluster`.
 */
export interface CacheCluster {
  readonly config: CacheClusterConfig;
  /** This node: name, address and cache URL (the bound one after `listen()`). */
  readonly local: LocalNode;
  /** Bound cache server URL after `listen()`. */
  readonly url: string | undefined;
  /** The admin listener's URL after `listen()` (`[admin]`: status page, metrics, `/healthz`, `/readyz`); undefined without one. */
  readonly adminUrl: string | undefined;
  /** idle (before `listen()`), starting, listening, stopping, stopped. */
  readonly state: "idle" | "starting" | "listening" | "stopping" | "stopped";
  /** `Date.now()` when this cluster was created. */
  readonly startedAt: number;
  readonly membership: Membership;
  readonly discovery: Discovery | undefined;
  readonly transport: Transport | undefined;
  /** The ring over the live members' cache URLs. */
  readonly ring: RingView;
  /**
   * Answers requests from peers (served here, never forwarded): give it to `createPeerHandler` of
   * `@cachecluster/transport-http` to serve the peer protocol from your own HTTP server.
   */
  readonly peerHandler: PeerRequestHandler;
  /** Create a group (a second group of the same name is an error; use `getGroup`). */
  group(name: string, options: GroupOptions): Group;
  getGroup(name: string): Group | undefined;
  groups(): readonly Group[];
  /** Members as membership sees them now (self included; before `listen()`, only self). */
  members(): readonly Member[];
  /** The latest membership events, oldest first (at most 100). */
  events(): readonly MembershipEvent[];
  /** Membership events observed since this cluster started, by type. */
  eventCounts(): Readonly<Record<MembershipEventType, number>>;
  /**
   * Liveness and readiness (what `/healthz` and `/readyz` answer): live until stopped; ready once listening and
   * joined, deliberately local (no discovery), alone by discovery's account, or alone past `[cluster] join_timeout`.
   */
  health(): HealthStatus;
  /** A snapshot for dashboards; the JSON of `/_cachecluster/status.json`. */
  status(): ClusterStatus;
  readonly metrics: ClusterMetrics;
  /** Bind the cache server, then start discovery and membership; resolves once the server listens. */
  listen(overrides?: ListenOverrides): Promise<{ url: string }>;
  /** Leave the membership, then stop membership, discovery and transport (reverse order). Safe to call twice. */
  close(options?: { leaveTimeoutMs?: number }): Promise<void>;
  /** Close gracefully on SIGTERM/SIGINT, then exit; returns a function that removes the handlers. */
  closeOnSignals(options?: CloseOnSignalsOptions): () => void;
}
