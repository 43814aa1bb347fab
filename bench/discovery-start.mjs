#!/usr/bin/env node
// GCE discovery start-up (issue 12: "start() takes ~1 s because it loads the Compute client"): start() latency,
// time to the first peers, and the longest stall of the main thread's event loop (which also runs SWIM: a stall
// past the probe timeout makes peers suspect the node) from start() to the first peers, each sample a fresh
// process. The reference, measured in the same run and interleaved: the Compute client on the main thread.
// Then region mode: bytes the Compute API answers per refresh for a region holding 2 of the project's 602
// instances, against one aggregated list of the project (what region mode did before).
// Usage: node bench/discovery-start.mjs [samples=5]
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, summarize } from "./_lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const samples = Number(process.argv[2] ?? 5);

// One fresh process per sample: the start-up test's fixture (built), which prints its figures as JSON.
const fixture = join(root, "packages/discovery-gce/dist/test/fixtures/start-stall.js");
/**
 * @param {string} api
 * @returns {Record<string, number | undefined>}
 */
function sample(api) {
  const out = execFileSync(process.execPath, [fixture], { encoding: "utf8", env: { ...process.env, BENCH_COMPUTE_API: api } });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}");
}

/** @typedef {"worker" | "in-process"} Api */
/** @type {Record<Api, Record<string, number | undefined>[]>} */
const runs = { worker: [], "in-process": [] };
const apis = /** @type {Api[]} */ (Object.keys(runs));
for (let i = 0; i < samples; i++) for (const api of apis) runs[api].push(sample(api));
/** @type {(api: Api, key: string) => number} */
const med = (api, key) => median(runs[api].map((r) => r[key]).filter((v) => v !== undefined && v !== null));
console.log(`GCE discovery start-up, median of ${samples} fresh processes each (node ${process.version}):`);
const head = ["start()", "first peers", "longest task (CPU)", "longest late tick", "main-thread CPU", "process CPU"];
console.log(`  ${"".padEnd(34)} ${head.map((h) => h.padStart(19)).join("")}`);
for (const api of apis) {
  const label = api === "worker" ? "Compute client in a worker thread" : "reference: client on main thread";
  /** @type {[string, number][]} */
  const cells = [
    ["startMs", 1],
    ["firstPeersMs", 0],
    ["maxTaskCpuMs", 0],
    ["maxGapMs", 0],
    ["mainCpuMs", 0],
    ["processCpuMs", 0],
  ];
  console.log(`  ${label.padEnd(34)} ${cells.map(([key, d]) => `${fmt(med(api, key), d)} ms`.padStart(19)).join("")}`);
}
console.log(
  `  longest task per sample (CPU ms): worker ${runs.worker.map((r) => r.maxTaskCpuMs).join(", ")}; main thread ${runs["in-process"].map((r) => r.maxTaskCpuMs).join(", ")}`,
);

// ---- region mode: bytes per refresh ------------------------------------------------------------------------
const { FakeGce } = await import("../packages/testing/dist/src/fake-gce.js");
const { GceDiscovery } = await import("../packages/discovery-gce/dist/src/index.js");
const gce = await FakeGce.start({ self: { name: "cache-0", zone: "us-central1-b", tags: ["cache"] } });
const restore = gce.useEnv();
gce.addInstance({ name: "cache-1", zone: "us-central1-c", tags: ["cache"] });
for (const zone of ["europe-west1-b", "europe-west1-c", "europe-west1-d"])
  gce.addInstances(200, `web-${zone}`, { zone, tags: ["web"], metadata: { "startup-script": "#!/bin/sh\n".repeat(40) } });
const discovery = new GceDiscovery({ options: { ...gce.computeClientOptions(), region: "us-central1", tags: ["cache"], refreshMs: 60_000 } });
await discovery.start();
await new Promise((/** @type {(value?: unknown) => void} */ resolve) => discovery.onPeers((p) => p.length === 2 && resolve()));
await discovery.whenIdle();
gce.clearLog();
await discovery.refresh();
const perRefresh = gce.computeRequests();
const bytes = perRefresh.reduce((n, r) => n + r.bytes, 0);
await discovery.stop();
// The reference: the aggregated list region mode made before, same filter and page size.
const token = gce.issuedTokens()[0];
const agg = await fetch(`${gce.url}/compute/v1/projects/${gce.project}/aggregated/instances?filter=${encodeURIComponent("status = RUNNING")}&maxResults=500`, {
  headers: { authorization: `Bearer ${token}` },
});
const aggBytes = (await agg.arrayBuffer()).byteLength;
restore();
await gce.close();
console.log(`region mode, a region holding 2 of the project's 602 instances, per refresh:`);
console.log(`  the region's zones, one list each: ${perRefresh.length} calls, ${fmt(bytes / 1024, 1)} KiB`);
console.log(`  reference: aggregated list of the project (first page of 500): 1 call, ${fmt(aggBytes / 1024, 1)} KiB (and a second page)`);

summarize(
  {
    bench: "discovery-start",
    figure: "longest main-thread task, start() to first peers, ms CPU",
    cachecluster: fmt(med("worker", "maxTaskCpuMs"), 0),
    reference: `client on main thread ${fmt(med("in-process", "maxTaskCpuMs"), 0)}`,
    ratio: `${(med("in-process", "maxTaskCpuMs") / Math.max(10, med("worker", "maxTaskCpuMs"))).toFixed(0)}x less`,
    goal: "well below the SWIM probe timeout (500 ms)",
  },
  {
    bench: "discovery-start",
    figure: "GceDiscovery.start() resolves after, ms",
    cachecluster: fmt(med("worker", "startMs"), 1),
    reference: `before, loading the client first: ${fmt(med("in-process", "startMs"), 0)}`,
    ratio: "-",
    goal: "at once",
  },
  {
    bench: "discovery-start",
    figure: "region mode, KiB answered per refresh (2 of 602 instances in the region)",
    cachecluster: fmt(bytes / 1024, 1),
    reference: `aggregated list ${fmt(aggBytes / 1024, 0)} (first page)`,
    ratio: `${(aggBytes / bytes).toFixed(0)}x less`,
    goal: "only the region's zones",
  },
);
