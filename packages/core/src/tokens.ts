import type { ServiceIdentifier } from "inversify";
import type { CacheClusterConfig } from "./config/cache-cluster-config.js";
import type { ConfigSection } from "./config/config-section.js";
import type { Discovery } from "./interfaces/discovery.js";
import type { Membership } from "./interfaces/membership.js";
import type { Logger } from "./interfaces/logger.js";
import type { StoreFactory } from "./interfaces/store.js";
import type { Transport } from "./interfaces/transport.js";

/**
 * DI tokens. `Symbol.for` keys, so two installed copies of core still agree; typed, so `container.get` is typed.
 */
export const ConfigToken = Symbol.for("@cachecluster/core/Config") as ServiceIdentifier<CacheClusterConfig>;
/** Multi-bound: one binding per config declaration of each loaded plugin (`CacheClusterPlugin` binds them). */
export const ConfigSectionToken = Symbol.for("@cachecluster/core/ConfigSection") as ServiceIdentifier<ConfigSection>;
export const LoggerToken = Symbol.for("@cachecluster/core/Logger") as ServiceIdentifier<Logger>;
export const DiscoveryToken = Symbol.for("@cachecluster/core/Discovery") as ServiceIdentifier<Discovery>;
export const MembershipToken = Symbol.for("@cachecluster/core/Membership") as ServiceIdentifier<Membership>;
export const TransportToken = Symbol.for("@cachecluster/core/Transport") as ServiceIdentifier<Transport>;
export const StoreFactoryToken = Symbol.for("@cachecluster/core/StoreFactory") as ServiceIdentifier<StoreFactory>;
