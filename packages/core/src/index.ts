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
export type { Startable, Logger, Unsubscribe } from "./interfaces/startable.js";
export { silentLogger } from "./interfaces/startable.js";
export type { Discovery, DiscoveredPeer } from "./interfaces/discovery.js";
export type { Membership, Member, MemberState, MembershipEvent, MembershipEventType } from "./interfaces/membership.js";
export type { Store, StoreEntry, StoreStats, StoreOptions, StoreFactory } from "./interfaces/store.js";
export type { Transport, TransportClient, PeerRequestHandler, PeerValue, PeerCallOptions, HttpRoute, ListenOptions } from "./interfaces/transport.js";
export type { LocalNode } from "./interfaces/local-node.js";
export type { DatagramNetwork, NetworkHandlers, NetworkSocket, StreamHandlers, StreamConnection } from "./interfaces/datagram-network.js";
export { ConfigToken, LoggerToken, DiscoveryToken, MembershipToken, TransportToken, StoreFactoryToken, LocalNodeToken } from "./tokens.js";
export {
  configSchema,
  cacheSection,
  clusterSection,
  matchSection,
  parseByteSize,
  type CacheClusterConfig,
  type CacheClusterConfigInput,
} from "./config/schema.js";
export { loadConfig, parseConfig, parseConfigText, type LoadConfigOptions } from "./config/load-config.js";
export { HashRing, hashKey, DEFAULT_REPLICAS } from "./ring/hash-ring.js";
export { LruStore, DEFAULT_ENTRY_OVERHEAD, SLAB_ENTRY_OVERHEAD, type LruStoreOptions } from "./cache/lru-store.js";
export { SLAB_BYTES, SLAB_VALUE_LIMIT } from "./cache/slab-arena.js";
export { SingleFlight, abortReason } from "./engine/singleflight.js";
export { Group, type GroupOptions, type GetOptions, type SetOptions, type Loader, type LoadContext, type LoadResult, type GroupDeps } from "./engine/group.js";
export { RingPeerPicker, type PeerPicker } from "./engine/peer-picker.js";
export { oneIn, neverHot, alwaysHot, type HotPolicy } from "./engine/hot-policy.js";
export { type GroupStats, emptyGroupStats } from "./engine/stats.js";
export { StaticDiscovery, staticDiscovery, parsePeer } from "./discovery/static-discovery.js";
export { DirectMembership, directMembership, formatHost } from "./membership/direct-membership.js";
export { CacheCluster, type CacheClusterDeps, type ListenOverrides } from "./cluster/cache-cluster.js";
export { closeOnSignals, type CloseOnSignalsOptions } from "./cluster/close-on-signals.js";
export type { Observable } from "./interfaces/observable.js";
export { isObservable } from "./interfaces/observable.js";
export {
  collectStatus,
  type ClusterStatus,
  type StatusSource,
  type MemberStatus,
  type GroupStatus,
  type CacheStatus,
  type EventStatus,
  type ComponentStatus,
} from "./status/cluster-status.js";
export { ClusterMetrics, metricSuffix, RING_SHARE_SERIES_LIMIT, type MetricsSource } from "./status/cluster-metrics.js";
export { statusRoute, metricsRoute, STATUS_PREFIX, type StatusRouteSource } from "./status/status-route.js";
export { renderStatusBody } from "./status/status-body.js";
export { renderStatusPage, STATUS_REFRESH_MS } from "./status/status-page.js";
export { createCacheCluster, bindCore, bindDefaults, resolveCluster, type CreateCacheClusterOptions } from "./cluster/create-cache-cluster.js";
export { primaryAddress } from "./cluster/local-address.js";
