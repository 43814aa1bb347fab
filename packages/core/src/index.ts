/// <reference types="node" preserve="true" />
// The public surface of @cachecluster/core: what an application or a plugin author needs. Anything else is
// internal (tests import it by path). `api/core.api.md` is the reviewed report of this surface.

// Assembling a cluster
export { createCacheCluster, bindCore, bindDefaults, resolveCluster, type CreateCacheClusterOptions } from "./cluster/create-cache-cluster.js";
export type { CacheCluster, ClusterMetrics, ListenOverrides, RingView } from "./interfaces/cache-cluster.js";
export type { Group } from "./interfaces/group.js";
export { closeOnSignals, type CloseOnSignalsOptions } from "./cluster/close-on-signals.js";
export type { GroupOptions, GetOptions, SetOptions, Loader, LoadContext, LoadResult } from "./engine/group.js";
export { oneIn, neverHot, alwaysHot, frequentHot, type FrequentHotOptions, type HotPolicy, type HotPolicyKind } from "./engine/hot-policy.js";
export type { GroupStats } from "./engine/stats.js";
export { HashRing } from "./ring/hash-ring.js";
export type { SlabStoreOptions } from "./cache/slab-store.js";
export { LruStore, type LruStoreOptions } from "./cache/lru-store.js";
export { TinyLfuStore, type TinyLfuStoreOptions } from "./cache/tinylfu-store.js";
export type { StoreKind } from "./cache/store-kinds.js";
export { staticDiscovery, StaticDiscovery } from "./discovery/static-discovery.js";

// Config
export { loadConfig, parseConfig, parseConfigText, type LoadConfigOptions, type ConfigConsumers } from "./config/load-config.js";
export { CacheClusterConfig } from "./config/cache-cluster-config.js";
export type { CacheClusterConfigInput, CacheSectionInput, ClusterSectionInput } from "./config/config-input.js";
export { cacheSection, clusterSection, adminSection, type CacheSettings, type ClusterSettings, type AdminSettings } from "./config/schema.js";
export { configSection, openConfigSection, configTable, type ConfigSection, type ConfigKeyDoc, type ConfigSectionOptions } from "./config/config-section.js";
export * as configValue from "./config/config-values.js";
export { parseOptions } from "./config/format-issues.js";
export type { ConfigSource } from "./config/config-source.js";

// Plugins
export { definePlugin, CacheClusterPlugin, type PluginDefinition } from "./plugin/define-plugin.js";
export { ConfigToken, ConfigSectionToken, LoggerToken, DiscoveryToken, MembershipToken, TransportToken, StoreFactoryToken } from "./tokens.js";
export type { Startable, Unsubscribe } from "./interfaces/startable.js";
export { silentLogger, type Logger } from "./interfaces/logger.js";
export { createDefaultLogger, type DefaultLoggerOptions, type LogLevel } from "./log/default-logger.js";
export type { Discovery, DiscoveredPeer } from "./interfaces/discovery.js";
export {
  canBroadcast,
  type Membership,
  type MembershipBroadcast,
  type Member,
  type MemberState,
  type MembershipEvent,
  type MembershipEventType,
} from "./interfaces/membership.js";
export type { LocalNode } from "./interfaces/local-node.js";
export type { Store, StoreEntry, StoreStats, StoreOptions, StoreFactory } from "./interfaces/store.js";
export type {
  Transport,
  TransportClient,
  PeerRequestHandler,
  PeerValue,
  PeerBatchResult,
  AbortWatch,
  PeerCallOptions,
  TraceCarrier,
  HttpRoute,
  ListenOptions,
} from "./interfaces/transport.js";
export type { DatagramNetwork, NetworkHandlers, NetworkSocket, StreamHandlers, StreamConnection } from "./interfaces/datagram-network.js";
export type { Observable, StatDescription } from "./interfaces/observable.js";
export type { Diagnosable } from "./interfaces/diagnosable.js";
export { systemClock, type Clock } from "./interfaces/clock.js";
export { formatHost, joinHostPort, splitHostPort } from "./net/host-port.js";
export { refuseConnection } from "./net/refuse-connection.js";

// Errors
export {
  CacheClusterError,
  ConfigError,
  InvalidArgumentError,
  LoaderError,
  AbortError,
  PeerError,
  DecodeError,
  describe as describeError,
  type ErrorCode,
} from "./errors.js";

// Status, health and metrics (what `cluster.status()`, `cluster.health()` and `cluster.metrics` return)
export { healthRoutes, type HealthStatus } from "./status/health-routes.js";
export { serveRoute } from "./status/serve-route.js";
export type { ClusterStatus, MemberStatus, GroupStatus, CacheStatus, EventStatus, ComponentStatus } from "./status/cluster-status.js";
