export { GceDiscovery, type GceDiscoveryDeps, type GceDiscoveryStats, type GceDiscoveryTarget } from "./gce-discovery.js";
export {
  gceDiscoveryOptions,
  parseGceDiscoveryOptions,
  resolveGceDiscoveryOptions,
  MAX_PAGE_SIZE,
  type GceDiscoveryOptionsInput,
  type GceDiscoverySettings,
} from "./options.js";
export { gceDiscovery } from "./module.js";
export { DiscoveryError, type DiscoveryFailureKind } from "./errors.js";
export { googleComputeApi, type ComputeApi, type ComputeApiFactory, type ListRequest, type AggregatedListRequest, type InstancePage } from "./compute-api.js";
export { gcpMetadataApi, type MetadataApi } from "./metadata-api.js";
export { buildFilter } from "./filter.js";
export { matchInstance, type InstanceCriteria, type MatchResult } from "./match-instance.js";
export { realScheduler, backoffDelay, budgetPeriodMs, withJitter, type Scheduler } from "./scheduler.js";
export { classifyError } from "./classify-error.js";
