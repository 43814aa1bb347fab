/// <reference types="node" preserve="true" />
/**
 * Fake Google Compute Engine for tests: metadata server + Compute API instances routes over real HTTP on
 * 127.0.0.1, which the unmodified Google clients talk to. Import as `@cachecluster/testing/fake-gce`.
 */
export { FakeGce, DEFAULT_ZONES, type FakeGceApi, type FakeGceFault, type FakeGceOptions, type FakeGceRequest } from "./fake-gce/fake-gce.js";
export type { FakeInstance, FakeInstanceSpec, FakeInstanceStatus, FakeNetworkInterface, FakeServiceAccount } from "./fake-gce/instance.js";
export { FakeIam, PREDEFINED_ROLES } from "./fake-gce/iam.js";
