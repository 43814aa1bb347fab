import "reflect-metadata";
import { Container, type ContainerModule } from "inversify";
import { storeFactoryOf } from "../cache/store-kinds.js";
import type { CacheClusterConfig } from "../config/cache-cluster-config.js";
import type { CacheClusterConfigInput } from "../config/config-input.js";
import { parseConfig } from "../config/load-config.js";
import { StaticDiscovery } from "../discovery/static-discovery.js";
import type { Logger } from "../interfaces/logger.js";
import { createDefaultLogger } from "../log/default-logger.js";
import { DirectMembership } from "../membership/direct-membership.js";
import { ConfigSectionToken, ConfigToken, DiscoveryToken, LoggerToken, MembershipToken, StoreFactoryToken, TransportToken } from "../tokens.js";
import type { CacheCluster } from "../interfaces/cache-cluster.js";
import { ClusterNode } from "./cache-cluster.js";

export interface CreateCacheClusterOptions {
  /**
   * Where the cluster and its plugins log. Default: JSON lines on stderr at `info` (`createDefaultLogger`, level
   * from `CACHECLUSTER_LOG_LEVEL`); pass a pino logger (or anything with debug/info/warn/error) to use yours, or
   * `silentLogger` for none.
   */
  readonly logger?: Logger;
  /** Use this container instead of a new one (bindings already on it are kept). */
  readonly container?: Container;
}

/**
 * Binds the core services on an inversify container, loads the plugins, fills in defaults for what no plugin
 * bound (the `[cache] store` stores, LRU by default; `DirectMembership`; `StaticDiscovery` from `CACHECLUSTER_PEERS` when set), checks the whole
 * config against the plugins' declarations (one `ConfigError` with every problem), and returns the assembled
 * cluster. Nothing listens until `cluster.listen()`.
 */
export async function createCacheCluster(
  config: CacheClusterConfig | CacheClusterConfigInput = {},
  plugins: readonly ContainerModule[] = [],
  options: CreateCacheClusterOptions = {},
): Promise<CacheCluster> {
  const container = options.container ?? new Container({ defaultScope: "Singleton" });
  bindCore(container, parseConfig(config, { plugins }), options.logger);
  await container.loadAsync(...plugins);
  bindDefaults(container);
  return resolveCluster(container);
}

/**
 * Binds the config and the logger (what plugins depend on). Without a logger: JSON lines on stderr at `info`
 * (`createDefaultLogger`; `CACHECLUSTER_LOG_LEVEL` sets the level, `silent` none).
 */
export function bindCore(container: Container, config: CacheClusterConfig, logger?: Logger): void {
  if (!container.isBound(ConfigToken)) container.bind(ConfigToken).toConstantValue(config);
  if (!container.isBound(LoggerToken)) container.bind(LoggerToken).toConstantValue(logger ?? createDefaultLogger());
}

/** Binds the defaults for services no plugin bound. */
export function bindDefaults(container: Container, env: Readonly<Record<string, string | undefined>> = process.env): void {
  if (!container.isBound(StoreFactoryToken)) {
    container.bind(StoreFactoryToken).toResolvedValue((config: CacheClusterConfig) => storeFactoryOf(config.cache.store), [ConfigToken]);
  }
  if (!container.isBound(MembershipToken)) {
    container.bind(MembershipToken).toResolvedValue((config: CacheClusterConfig) => DirectMembership.fromConfig(config), [ConfigToken]);
  }
  if (!container.isBound(DiscoveryToken) && (env.CACHECLUSTER_PEERS ?? "").trim() !== "") {
    container.bind(DiscoveryToken).toConstantValue(StaticDiscovery.fromEnv(env));
  }
}

/**
 * Builds the cluster from a container on which core, the plugins and the defaults are bound. First checks the
 * config against every loaded plugin's declarations, so a bad or unknown key fails here with all problems at once.
 */
export function resolveCluster(container: Container): CacheCluster {
  const config = container.get(ConfigToken);
  config.check(container.isBound(ConfigSectionToken) ? container.getAll(ConfigSectionToken) : []);
  return new ClusterNode({
    config,
    logger: container.get(LoggerToken),
    membership: container.get(MembershipToken),
    storeFactory: container.get(StoreFactoryToken),
    discovery: container.get(DiscoveryToken, { optional: true }),
    transport: container.get(TransportToken, { optional: true }),
  });
}
