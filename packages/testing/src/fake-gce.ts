/**
 * Fake Google Compute Engine for tests: metadata server + Compute API instances routes over real HTTP on
 * 127.0.0.1. Import as `@cachecluster/testing/fake-gce`.
 */
export { FakeGce, DEFAULT_ZONES, type FakeGceApi, type FakeGceFault, type FakeGceOptions, type FakeGceRequest } from "./fake-gce/fake-gce.js";
export type { FakeInstance, FakeInstanceSpec, FakeInstanceStatus, FakeNetworkInterface } from "./fake-gce/instance.js";
export { instanceJson, regionOf, COMPUTE_BASE } from "./fake-gce/instance.js";
export { parseFilter, evaluateFilter, FilterSyntaxError, type FilterNode } from "./fake-gce/filter.js";
export { googleErrorBody } from "./fake-gce/google-error.js";
export { MAX_RESULTS } from "./fake-gce/compute-api.js";
