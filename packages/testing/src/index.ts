/// <reference types="node" preserve="true" />
// The test kit's whole surface (reviewed in api/testing.api.md). Each area is also importable on its own, which
// loads less: `@cachecluster/testing/fake-gce`, `/fleet`, `/memory-network`, `/go`, `/compliance/store`,
// `/compliance/discovery`, `/compliance/membership`, `/compliance/transport`.
export { buildGoProgram, goAvailable } from "./go.js";
export { FakeGce, DEFAULT_ZONES, type FakeGceApi, type FakeGceFault, type FakeGceOptions, type FakeGceRequest } from "./fake-gce.js";
export type { FakeInstance, FakeInstanceSpec, FakeInstanceStatus, FakeNetworkInterface, FakeServiceAccount } from "./fake-gce.js";
export { FakeIam, PREDEFINED_ROLES } from "./fake-gce.js";
export {
  MemoryNetwork,
  VirtualScheduler,
  seededRandom,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
  type MemoryHost,
  type Random,
} from "./memory-network.js";
export { storeCompliance } from "./compliance/store.js";
export { discoveryCompliance, waitForPeers, type DiscoveryComplianceSetup, type DiscoveryUnderTest } from "./compliance/discovery.js";
export { membershipCompliance, type MembershipComplianceSetup } from "./compliance/membership.js";
export { transportCompliance, RecordingPeerHandler, awkwardKeys, type TransportComplianceSetup } from "./compliance/transport.js";
// The fleet simulator (`@cachecluster/testing/fleet`).
export {
  Fleet,
  GCE_ADDRESS,
  LB_ADDRESS,
  OBSERVER_ADDRESS,
  GOOGLE_FRONT_END_RANGES,
  VM_SHIMS,
  type FleetOptions,
  type FleetTimings,
  type InstanceSpec,
} from "./fleet/fleet.js";
export { FleetError } from "./fleet/errors.js";
export { FleetNetwork, fleetPrefix, listNamespaces, namespacePids, reapStaleFleets, type FleetNetworkOptions } from "./fleet/network.js";
export { Vm, type VmStatus, type VmOptions, type JournalEntry, type ShutdownReport } from "./fleet/vm.js";
export { UnitManager, type ServiceStatus, type ServiceState, type UnitHost, type SpawnInVm } from "./fleet/unit-manager.js";
export {
  ManagedInstanceGroup,
  type InstanceTemplate,
  type UpdatePolicy,
  type ManagedInstance,
  type MigOptions,
  type InstancePorts,
  type MigEvent,
  type InstanceAction,
  type HealthState,
} from "./fleet/mig.js";
export { readiness, type HealthCheck, type Readiness } from "./fleet/health.js";
export { type FirewallRule, type FirewallAllowed, UDP_IN, TCP_IN } from "./fleet/firewall.js";
export { replayKit, kitSpec, kitPorts, machineVcpus, KIT_DIR, type KitSpec, type KitMig, type KitUpdate, type GcloudCall } from "./fleet/kit.js";
export { deployKit, startKitUpdate, type DeployOptions } from "./fleet/deploy.js";
export { nodeViews, oneRing, migNodeUrls, describeViews, type NodeView } from "./fleet/rings.js";
export { LoadBalancer } from "./fleet/load-balancer.js";
export {
  backendValue,
  WARM_UP,
  type LoadOptions,
  type LoadReport,
  type PhaseReport,
  type LoadTarget,
  type LoadFailure,
  type BackendCounts,
  type ProbeResult,
} from "./fleet/lb-protocol.js";
export { parseUnitFile, parseEnvironmentFile, execArgv, APPLIED_SETTINGS, IGNORED_SETTINGS, type UnitSections } from "./fleet/unit-file.js";
export { namespaceAvailable } from "./fleet/preflight.js";
