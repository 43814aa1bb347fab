/// <reference types="node" preserve="true" />
// The public surface of @cachecluster/discovery-dns (reviewed in api/discovery-dns.api.md).
export { DnsDiscovery, type DnsDiscoveryDeps, type DnsDiscoveryStats } from "./dns-discovery.js";
export { dnsDiscoveryOptions, type DnsDiscoveryOptionsInput, type DnsDiscoverySettings } from "./options.js";
export { dnsSection } from "./config-section.js";
export { dnsDiscovery } from "./module.js";
export { DnsDiscoveryError, type DnsFailureKind } from "./errors.js";
