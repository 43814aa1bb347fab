// The app the GCE deployment kit (deploy/gce) runs: one process per vCPU, each started by systemd as
// cachecluster@<i>.service with its ports, name and cache budget in /etc/cachecluster/worker-<i>.env. It serves
// `GET /get?key=K` from the "reports" group, whose loader reads the backend; SIGTERM (a MIG deleting the VM, a
// Spot preemption, `systemctl stop`) makes it stop taking requests, leave the cluster, finish what is in
// flight and exit. Replace the loader and the routes with your own; keep the wiring.
import { type Server, createServer } from "node:http";
import { createCacheCluster, createDefaultLogger, loadConfig } from "@cachecluster/core";
import { gceDiscovery } from "@cachecluster/discovery-gce";
import { swimMembership } from "@cachecluster/membership-swim";
import { httpTransport } from "@cachecluster/transport-http";
import { readSettings } from "./settings.js";

const settings = readSettings(process.env);
// Core's default logger: JSON lines on stderr with Cloud Logging's `severity` (systemd sends them to the journal,
// the Ops Agent on to Cloud Logging), level from CACHECLUSTER_LOG_LEVEL. The app's own lines use it too.
const logger = createDefaultLogger();

// The kit's /etc/cachecluster/cachecluster.ini (CACHECLUSTER_CONFIG) with the unit's CACHECLUSTER_* overrides;
// its [match] cluster_port makes every worker join worker 0 of each VM, so all workers of all VMs form one cluster.
const plugins = [gceDiscovery(settings.computeApi ?? {}), swimMembership(settings.swim), httpTransport()];
const config = await loadConfig({ plugins });
const cluster = await createCacheCluster(config, plugins, { logger });

async function render(key: string, signal: AbortSignal): Promise<Uint8Array | string> {
  if (settings.backendUrl === undefined) return `report ${key}, rendered by ${cluster.local.name} at ${new Date().toISOString()}`;
  const res = await fetch(`${settings.backendUrl}/render?key=${encodeURIComponent(key)}`, { signal });
  if (!res.ok) throw new Error(`the backend answered ${res.status} for ${key}`);
  return new Uint8Array(await res.arrayBuffer());
}

const reports = cluster.group("reports", { load: (key, { signal }) => render(key, signal) });

const server: Server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://app");
  const key = url.searchParams.get("key");
  if (req.method !== "GET" || url.pathname !== "/get" || key === null) {
    res.writeHead(404, { "content-type": "text/plain" }).end("try GET /get?key=some-key\n");
    return;
  }
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  reports.get(key, { signal: abort.signal }).then(
    (value) => res.writeHead(200, { "content-type": "application/octet-stream", "content-length": value.byteLength }).end(value),
    (error: unknown) => {
      logger.warn({ err: error, key, worker: settings.worker }, "app: get failed");
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`${error instanceof Error ? error.message : String(error)}\n`);
    },
  );
});
// Google's external Application Load Balancer keeps idle connections to backends for 600 s: stay open longer.
server.keepAliveTimeout = 620_000;
server.headersTimeout = 630_000;

await cluster.listen();
await new Promise<void>((resolve, reject) => {
  server.once("error", reject);
  server.listen(settings.appPort, () => resolve());
});
cluster.closeOnSignals({
  logger,
  timeoutMs: settings.stopTimeoutMs,
  // No new requests; the ones in flight finish (they still use the cluster, which closes after this).
  beforeClose: () => new Promise<void>((resolve) => server.close(() => resolve())),
});
logger.info({ cache: cluster.local.cacheUrl, app: settings.appPort, name: cluster.local.name, worker: settings.worker }, "app: serving");
