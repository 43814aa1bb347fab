// Two nodes in one process on loopback, found through staticDiscovery: local development without GCE.
//   node examples/dist/static-local/main.js           # runs until Ctrl-C; open the printed status pages
//   node examples/dist/static-local/main.js --smoke   # quick check: gets, status pages, metrics; exit 0 or 1
import { createServer } from "node:net";
import { type CacheCluster, closeOnSignals, createCacheCluster, staticDiscovery } from "@cachecluster/core";
import { httpTransport } from "@cachecluster/transport-http";

const smoke = process.argv.includes("--smoke");
const ports = smoke ? [await freePort(), await freePort()] : [9081, 9082];
const urls = ports.map((port) => `http://127.0.0.1:${port}`);

// Each node gets the same list (itself included; it recognizes its own URL). In a real deployment each
// process would run one of these, with CACHECLUSTER_PEERS=http://127.0.0.1:9081,http://127.0.0.1:9082.
const nodes: CacheCluster[] = [];
for (const [i, port] of ports.entries()) {
  const name = `node-${i + 1}`;
  // Two nodes on one host: each admin listener (status page, metrics) takes a free port on 127.0.0.1.
  const cluster = await createCacheCluster({ cache: { port, host: "127.0.0.1" }, cluster: { name, advertise: "127.0.0.1" }, admin: { port: 0 } }, [
    staticDiscovery(urls),
    httpTransport(),
  ]);
  cluster.group("thumbs", { maxBytes: 8 << 20, load: (key) => `thumbnail of ${key}, rendered by ${name}` });
  await cluster.listen();
  nodes.push(cluster);
}

if (smoke) {
  process.exitCode = (await smokeTest()) ? 0 : 1;
  await Promise.all(nodes.map((n) => n.close()));
} else {
  for (const n of nodes) console.log(`${n.local.name}: status page ${n.adminUrl}/_cachecluster/status`);
  console.log("generating a little traffic every 500 ms; Ctrl-C to stop");
  let i = 0;
  const traffic = setInterval(() => {
    const node = nodes[i % nodes.length]!;
    node
      .getGroup("thumbs")!
      .get(`img-${Math.floor(Math.random() * 200)}.png`)
      .catch((error: unknown) => console.error(error));
    i++;
  }, 500);
  closeOnSignals({
    close: async () => {
      clearInterval(traffic);
      await Promise.all(nodes.map((n) => n.close()));
    },
  });
}

/** Every key is loaded once in the cluster, and both status pages and metrics answer. */
async function smokeTest(): Promise<boolean> {
  const keys = Array.from({ length: 50 }, (_, i) => `img-${i}.png`);
  const problems: string[] = [];
  for (const key of keys) {
    const values = await Promise.all(nodes.map((n) => n.getGroup("thumbs")!.getString(key)));
    if (new Set(values).size !== 1) problems.push(`${key}: nodes disagree: ${values.join(" | ")}`);
  }
  const loads = nodes.map((n) => n.getGroup("thumbs")!.stats.localLoads);
  if (loads.reduce((a, b) => a + b, 0) !== keys.length) problems.push(`expected ${keys.length} loads in the cluster, got ${loads.join(" + ")}`);
  for (const n of nodes) {
    const status = (await (await fetch(`${n.adminUrl}/_cachecluster/status.json`)).json()) as { mode: string; members: unknown[] };
    if (status.mode !== "clustered" || status.members.length !== 2) problems.push(`${n.local.name}: status ${JSON.stringify(status).slice(0, 200)}`);
    const page = await fetch(`${n.adminUrl}/_cachecluster/status`);
    if (page.status !== 200 || !(await page.text()).includes(n.local.name)) problems.push(`${n.local.name}: status page answered ${page.status}`);
    const metrics = await (await fetch(`${n.adminUrl}/metrics`)).text();
    const gets = Number(/^cachecluster_group_gets_total\{group="thumbs"\} (\d+)$/m.exec(metrics)?.[1]);
    const expected = keys.length + n.getGroup("thumbs")!.stats.serverRequests; // gets from peers count too
    if (gets !== expected) problems.push(`${n.local.name}: metrics say ${gets} gets, expected ${expected}`);
  }
  const shares = nodes.map((n) => `${n.local.name} ${(n.status().members.find((m) => m.self)!.share * 100).toFixed(1)}%`);
  if (problems.length > 0) {
    console.error(`static-local smoke test FAILED:\n  ${problems.join("\n  ")}`);
    return false;
  }
  console.log(`static-local smoke test ok: ${keys.length} keys, local loads ${loads.join(" + ")}, ring shares ${shares.join(", ")}`);
  return true;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
