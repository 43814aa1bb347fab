import type { StatDescription } from "@cachecluster/core";
import type { DnsDiscoveryStats } from "./dns-discovery.js";

/** What each key of `DnsDiscovery.stats()` is, for the cluster's Prometheus metrics. */
export const DNS_STAT_DESCRIPTIONS: Readonly<Record<keyof DnsDiscoveryStats, StatDescription>> = {
  refreshesTotal: { type: "counter", name: "refreshes", help: "Successful DNS lookups of the peer list." },
  failuresTotal: { type: "counter", name: "failures", help: "Failed DNS lookups (the last good list was kept)." },
  consecutiveFailures: { type: "gauge", help: "Failed DNS lookups since the last success." },
  queriesTotal: { type: "counter", name: "queries", help: "DNS questions asked (an SRV lookup asks one per target)." },
  skippedRecordsTotal: { type: "counter", name: "skipped_records", help: "DNS records that made no peer (port 0, target without address, unusable address)." },
  peers: { type: "gauge", help: "Peers in the last good list." },
  nextRefreshMs: { type: "gauge", unit: "milliseconds", name: "next_refresh_delay", help: "Delay chosen for the next lookup." },
};
