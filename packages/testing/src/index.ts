/// <reference types="node" preserve="true" />
// The test kit's whole surface (reviewed in api/testing.api.md). Each area is also importable on its own, which
// loads less: `@cachecluster/testing/fake-gce`, `/fleet`, `/memory-logger`, `/memory-network`, `/go`, `/compliance/store`,
// `/compliance/discovery`, `/compliance/membership`, `/compliance/transport`.
export { buildGoProgram, goAvailable } from "./go.js";
export { FakeGce, DEFAULT_ZONES, type FakeGceApi, type FakeGceFault, type FakeGceOptions, type FakeGceRequest } from "./fake-gce.js";
export type { FakeInstance, FakeInstanceSpec, FakeInstanceStatus, FakeNetworkInterface, FakeServiceAccount } from "./fake-gce.js";
export { FakeIam, PREDEFINED_ROLES } from "./fake-gce.js";
export { MemoryLogger, type LogEntry } from "./memory-logger.js";
export {
  MemoryNetwork,
  VirtualScheduler,
  seededRandom,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
  type MemoryHost,
  type Random,
} from "./memory-network.js";
export { storeCompliance, type StoreComplianceOptions } from "./compliance/store.js";
export { discoveryCompliance, waitForPeers, type DiscoveryComplianceSetup, type DiscoveryUnderTest } from "./compliance/discovery.js";
export { membershipCompliance, type MembershipComplianceSetup } from "./compliance/membership.js";
export { transportCompliance, RecordingPeerHandler, awkwardKeys, type TransportComplianceSetup } from "./compliance/transport.js";
// The fleet simulator (`@cachecluster/testing/fleet`).
export * from "./fleet.js";
