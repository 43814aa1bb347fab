/// <reference types="node" preserve="true" />
// The public surface of @cachecluster/discovery-gce (reviewed in api/discovery-gce.api.md).
export { GceDiscovery, type GceDiscoveryDeps, type GceDiscoveryStats, type GceDiscoveryTarget } from "./gce-discovery.js";
export { gceDiscoveryOptions, type GceDiscoveryOptionsInput, type GceDiscoverySettings } from "./options.js";
export { matchSection, metaSection } from "./config-sections.js";
export { gceDiscovery } from "./module.js";
export { DiscoveryError, type DiscoveryFailureKind } from "./errors.js";
export type { ComputeApi, ComputeApiFactory, ListRequest, RegionRequest, InstancePage } from "./compute-api.js";
export { inProcessComputeApi } from "./worker-compute-api.js";
export type { RefreshResult, RemovedBy } from "./refresh-result.js";
export type { MetadataApi } from "./metadata-api.js";
