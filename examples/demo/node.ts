// One node of the demo cluster, started by main.ts in its own process with its own loopback address.
// Real plugins: GCE discovery against the fake GCE, SWIM membership over UDP, the HTTP transport.
import { parseArgs } from "node:util";
import { createCacheCluster } from "@cachecluster/core";
import { gceDiscovery } from "@cachecluster/discovery-gce";
import { swimMembership } from "@cachecluster/membership-swim";
import { httpTransport } from "@cachecluster/transport-http";
import { reportApp } from "./report-app.js";

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    ip: { type: "string" },
    "cache-port": { type: "string" },
    "admin-port": { type: "string" },
    "cluster-port": { type: "string" },
    "app-port": { type: "string" },
    "compute-port": { type: "string" },
    heartbeat: { type: "string", default: "200" },
    refresh: { type: "string", default: "2000" },
  },
});
const name = values.name!;
const ip = values.ip!;
process.env.DEMO_NODE_NAME = name;

const cluster = await createCacheCluster(
  {
    cache: { host: ip, port: Number(values["cache-port"]) },
    // Each demo "VM" is one loopback address, so its admin listener (status page, metrics) binds that address.
    admin: { host: ip, port: Number(values["admin-port"]) },
    cluster: { host: ip, advertise: ip, port: Number(values["cluster-port"]), heartbeat: Number(values.heartbeat), name },
    match: { tags: ["cachecluster-demo"], refresh: Number(values.refresh) },
  },
  [
    gceDiscovery({ apiEndpoint: "127.0.0.1", port: Number(values["compute-port"]), protocol: "http", jitter: 0.2, backoffBaseMs: 500, backoffCapMs: 5000 }),
    swimMembership(),
    httpTransport(),
  ],
);
const app = reportApp(cluster);
const { url } = await cluster.listen();
await new Promise<void>((resolve) => app.server.listen(Number(values["app-port"]), ip, resolve));

process.on("message", (message: { cmd?: string; id?: number }) => {
  if (message.cmd === "stats") {
    process.send?.({
      type: "stats",
      id: message.id,
      name,
      renders: [...app.renders],
      members: cluster.members().map((m) => ({ id: m.id, state: m.state, cacheUrl: m.cacheUrl })),
      shares: [...cluster.ring.shares()],
      stats: { ...app.group.stats },
      main: app.group.cacheStats("main"),
      hot: app.group.cacheStats("hot"),
    });
  }
});
let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  app.server.closeAllConnections();
  void (async () => {
    await new Promise<void>((resolve) => app.server.close(() => resolve()));
    await cluster.close();
    process.exit(0);
  })();
};
process.on("SIGTERM", shutdown);
// The demo's main process went away without stopping this one (SIGKILL): stop too.
process.on("disconnect", shutdown);
process.send?.({ type: "ready", name, url, app: `http://${ip}:${values["app-port"]}` });
