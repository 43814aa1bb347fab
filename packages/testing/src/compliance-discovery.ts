/** The Discovery compliance suite. Import as `@cachecluster/testing/compliance-discovery`. */
export { discoveryCompliance, waitForPeers, type DiscoveryComplianceSetup, type DiscoveryUnderTest } from "./compliance/discovery.js";
