// Wiring in code: the config object and every plugin option written out, no ini file.
//   node examples/dist/plugins-in-code/main.js
import { createCacheCluster } from "@cachecluster/core";
import { gceDiscovery } from "@cachecluster/discovery-gce";
import { swimMembership } from "@cachecluster/membership-swim";
import { httpTransport } from "@cachecluster/transport-http";
import { appServer } from "../shared/app-server.js";
import { consoleLogger } from "../shared/console-logger.js";

const logger = consoleLogger();
const cluster = await createCacheCluster(
  {
    cache: { port: 9080, max_bytes: "128MiB" },
    cluster: { port: 9999, heartbeat: 500 },
  },
  [
    gceDiscovery({ zones: ["us-central1-a", "us-central1-b"], tags: ["cachecluster"], labels: { service: "thumbs" }, networkInterface: "nic0" }),
    swimMembership({ leaveTimeoutMs: 2000 }),
    httpTransport({ timeout: 1500, connections: 32 }),
  ],
  { logger },
);

const users = cluster.group("users", {
  maxBytes: 16 << 20,
  ttl: 60_000, // values expire a minute after they were loaded
  load: async (id, { signal }) => {
    const res = await fetch(`https://users.internal.example/${encodeURIComponent(id)}`, { signal });
    if (!res.ok) throw new Error(`user service answered ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  },
});

const { url } = await cluster.listen({ metricsPath: "/metrics" });
const app = appServer({ users }).listen(8080);
cluster.closeOnSignals({ beforeClose: () => new Promise<void>((resolve) => app.close(() => resolve())), timeoutMs: 15_000, logger });
logger.info(`peer server ${url}; status ${cluster.adminUrl}/_cachecluster/status; Prometheus ${cluster.adminUrl}/metrics`);
