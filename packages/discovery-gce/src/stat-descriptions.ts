import type { StatDescription } from "@cachecluster/core";
import type { GceDiscoveryStats } from "./gce-discovery.js";

/** What each numeric key of `GceDiscovery.stats()` is, for the cluster's Prometheus metrics. */
export const GCE_STAT_DESCRIPTIONS: Readonly<Record<Exclude<keyof GceDiscoveryStats, "lastError" | "lastResult">, StatDescription>> = {
  refreshes: { type: "counter", help: "Successful refreshes of the instance list." },
  failures: { type: "counter", help: "Failed refreshes (the last good list was kept)." },
  consecutiveFailures: { type: "gauge", help: "Failed refreshes since the last success." },
  apiCalls: { type: "counter", help: "Compute API calls made (list pages, and regions.get in region mode)." },
  callsPerRefresh: { type: "gauge", help: "Compute API list calls the last successful refresh needed." },
  nextRefreshMs: { type: "gauge", unit: "milliseconds", name: "next_refresh_delay", help: "Delay chosen for the next refresh." },
  lastSuccessAt: { type: "gauge", unit: "epoch_milliseconds", name: "last_success", help: "When the last refresh succeeded." },
  skippedInstances: { type: "counter", help: "Matching instances that could not be used (no name, no address on the network interface)." },
};
