import "reflect-metadata";
import { Container, type ContainerModule } from "inversify";
import { LruStore } from "../cache/lru-store.js";
import { parseConfig } from "../config/load-config.js";
import type { CacheClusterConfig, CacheClusterConfigInput } from "../config/schema.js";
import { StaticDiscovery } from "../discovery/static-discovery.js";
import type { LocalNode } from "../interfaces/local-node.js";
import { type Logger, silentLogger } from "../interfaces/startable.js";
import { DirectMembership, formatHost } from "../membership/direct-membership.js";
import { ConfigToken, DiscoveryToken, LocalNodeToken, LoggerToken, MembershipToken, StoreFactoryToken, TransportToken } from "../tokens.js";
import { CacheCluster } from "./cache-cluster.js";
import { defaultNodeName, primaryAddress } from "./local-address.js";

export interface CreateCacheClusterOptions {
  readonly logger?: Logger;
  /** Use this container instead of a new one (bindings already on it are kept). */
  readonly container?: Container;
}

/**
 * Binds the core services on an inversify container, loads the plugin modules, fills in defaults for what
 * no module bound (LRU stores; `DirectMembership`; `StaticDiscovery` from `CACHECLUSTER_PEERS` when set),
 * and returns the assembled cluster. Nothing listens until `cluster.listen()`.
 */
export async function createCacheCluster(
  config: CacheClusterConfig | CacheClusterConfigInput = {},
  modules: readonly ContainerModule[] = [],
  options: CreateCacheClusterOptions = {},
): Promise<CacheCluster> {
  const container = options.container ?? new Container({ defaultScope: "Singleton" });
  bindCore(container, parseConfig(config), options.logger);
  await container.loadAsync(...modules);
  bindDefaults(container);
  return resolveCluster(container);
}

/** Binds config, logger and this node's identity (what plugins depend on). */
export function bindCore(container: Container, config: CacheClusterConfig, logger: Logger = silentLogger): void {
  const host = config.cluster.advertise ?? primaryAddress();
  const local: LocalNode = {
    name: config.cluster.name ?? defaultNodeName(config.cache.port),
    host,
    cacheUrl: config.cache.self?.replace(/\/+$/, "") ?? `http://${formatHost(host)}:${config.cache.port}`,
  };
  if (!container.isBound(ConfigToken)) container.bind(ConfigToken).toConstantValue(config);
  if (!container.isBound(LoggerToken)) container.bind(LoggerToken).toConstantValue(logger);
  if (!container.isBound(LocalNodeToken)) container.bind(LocalNodeToken).toConstantValue(local);
}

/** Binds the defaults for services no module bound. */
export function bindDefaults(container: Container, env: Readonly<Record<string, string | undefined>> = process.env): void {
  if (!container.isBound(StoreFactoryToken)) container.bind(StoreFactoryToken).toConstantValue(() => new LruStore());
  if (!container.isBound(MembershipToken)) {
    container
      .bind(MembershipToken)
      .toResolvedValue((local: LocalNode, config: CacheClusterConfig) => new DirectMembership(local, config), [LocalNodeToken, ConfigToken]);
  }
  if (!container.isBound(DiscoveryToken) && (env.CACHECLUSTER_PEERS ?? "").trim() !== "") {
    container.bind(DiscoveryToken).toConstantValue(StaticDiscovery.fromEnv(env));
  }
}

/** Builds the cluster from a container on which core, the plugins and the defaults are bound. */
export function resolveCluster(container: Container): CacheCluster {
  return new CacheCluster({
    config: container.get(ConfigToken),
    logger: container.get(LoggerToken),
    local: container.get(LocalNodeToken),
    membership: container.get(MembershipToken),
    storeFactory: container.get(StoreFactoryToken),
    discovery: container.get(DiscoveryToken, { optional: true }),
    transport: container.get(TransportToken, { optional: true }),
  });
}
