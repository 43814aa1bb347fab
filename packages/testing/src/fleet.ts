/**
 * A GCE-like fleet on one machine, for tests and benchmarks: VMs as network namespaces on a private bridge,
 * the fake GCE answering the metadata server per VM, VMs that boot from their startup script and stop as GCE
 * stops them, managed instance groups, a load balancer with a steady zipf read load, and the deployment kit
 * (deploy/gce) replayed into it. Needs root (network namespaces), iproute2, nftables, curl and util-linux.
 * Import as `@cachecluster/testing/fleet`.
 */
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
export { Zipf } from "./fleet/zipf.js";
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
