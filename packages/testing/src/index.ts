// The test kit's whole surface. Each area is also importable on its own (cheaper to load):
// `@cachecluster/testing/fake-gce`, `/memory-network`, `/go`, `/compliance-store`, `/compliance-discovery`,
// `/compliance-membership`, `/compliance-transport`, `/loopback-transport`.
export { buildGoProgram, goAvailable, repoRoot, GOPATH } from "./go.js";
export { FakeGce, DEFAULT_ZONES, type FakeGceApi, type FakeGceFault, type FakeGceOptions, type FakeGceRequest } from "./fake-gce/fake-gce.js";
export type { FakeInstance, FakeInstanceSpec, FakeInstanceStatus, FakeNetworkInterface } from "./fake-gce/instance.js";
export { MemoryNetwork, type MemoryNetworkOptions, type MemoryNetworkStats, type MemoryHost } from "./memory-network/memory-network.js";
export { VirtualScheduler, type VirtualClock } from "./memory-network/scheduler.js";
export { seededRandom, forkRandom, type Random } from "./memory-network/random.js";
export { storeCompliance } from "./compliance/store.js";
export { discoveryCompliance, waitForPeers, type DiscoveryComplianceSetup, type DiscoveryUnderTest } from "./compliance/discovery.js";
export { membershipCompliance, type MembershipComplianceSetup } from "./compliance/membership.js";
export { transportCompliance, RecordingPeerHandler, awkwardKeys, type TransportComplianceSetup } from "./compliance/transport.js";
export { LoopbackHttpTransport } from "./loopback-transport.js";
