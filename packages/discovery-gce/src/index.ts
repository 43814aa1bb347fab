// The public surface of @cachecluster/discovery-gce (reviewed in api/discovery-gce.api.md).
export { GceDiscovery, type GceDiscoveryDeps, type GceDiscoveryStats, type GceDiscoveryTarget } from "./gce-discovery.js";
export { gceDiscoveryOptions, type GceDiscoveryOptionsInput, type GceDiscoverySettings } from "./options.js";
export { matchSection, metaSection } from "./config-sections.js";
export { gceDiscovery } from "./module.js";
export { DiscoveryError, type DiscoveryFailureKind } from "./errors.js";
export type { ComputeApi, ComputeApiFactory, ListRequest, AggregatedListRequest, InstancePage } from "./compute-api.js";
export type { MetadataApi } from "./metadata-api.js";
