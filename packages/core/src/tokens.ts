import type { ServiceIdentifier } from "inversify";
import type { CacheClusterConfig } from "./config/schema.js";
import type { Discovery } from "./interfaces/discovery.js";
import type { Membership } from "./interfaces/membership.js";
import type { Logger } from "./interfaces/startable.js";
import type { StoreFactory } from "./interfaces/store.js";
import type { Transport } from "./interfaces/transport.js";
import type { LocalNode } from "./interfaces/local-node.js";

/**
 * DI tokens. `Symbol.for` keys, so two installed copies of core still agree; typed, so `container.get` is typed.
 */
export const ConfigToken = Symbol.for("@cachecluster/core/Config") as ServiceIdentifier<CacheClusterConfig>;
export const LoggerToken = Symbol.for("@cachecluster/core/Logger") as ServiceIdentifier<Logger>;
export const DiscoveryToken = Symbol.for("@cachecluster/core/Discovery") as ServiceIdentifier<Discovery>;
export const MembershipToken = Symbol.for("@cachecluster/core/Membership") as ServiceIdentifier<Membership>;
export const TransportToken = Symbol.for("@cachecluster/core/Transport") as ServiceIdentifier<Transport>;
export const StoreFactoryToken = Symbol.for("@cachecluster/core/StoreFactory") as ServiceIdentifier<StoreFactory>;
export const LocalNodeToken = Symbol.for("@cachecluster/core/LocalNode") as ServiceIdentifier<LocalNode>;
