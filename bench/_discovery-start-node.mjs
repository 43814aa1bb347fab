// One sample for bench/discovery-start.mjs, in a fresh process (cold module cache): a GceDiscovery against the fake
// GCE (in this process), from start() to its first peers. BENCH_COMPUTE_API=in-process puts the Compute client on
// the main thread (the reference: what start-up did before); default, the worker thread. Prints one JSON line:
// start() latency, time to the first peers, the longest main-thread event-loop stall (a 5 ms timer's lateness, which
// also counts the thread being descheduled on a loaded machine), the most CPU the main thread used between two
// ticks (one task really running; Linux /proc, null elsewhere), and the main thread's CPU time over the span.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { FakeGce } = await import(pathToFileURL(join(root, "packages/testing/dist/src/fake-gce.js")).href);
const gceModule = await import(pathToFileURL(join(root, "packages/discovery-gce/dist/src/index.js")).href);

/** CPU ms of the main thread (its task is the process id). */
function mainThreadCpuMs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return null;
  }
}

const gce = await FakeGce.start({ self: { name: "node-0", tags: ["cache"] } });
gce.useEnv();
gce.addInstances(2, "peer", { tags: ["cache"] });
const inProcess = process.env.BENCH_COMPUTE_API === "in-process";
const discovery = new gceModule.GceDiscovery({
  options: { ...gce.computeClientOptions(), tags: ["cache"], refreshMs: 60_000 },
  ...(inProcess ? { computeApi: gceModule.inProcessComputeApi } : {}),
});

let maxGapMs = 0;
let maxTaskCpuMs = null;
let last = performance.now();
let lastCpu = mainThreadCpuMs();
const ticker = setInterval(() => {
  const now = performance.now();
  const cpu = mainThreadCpuMs();
  maxGapMs = Math.max(maxGapMs, now - last - 5);
  if (cpu !== null && lastCpu !== null) maxTaskCpuMs = Math.max(maxTaskCpuMs ?? 0, cpu - lastCpu);
  last = now;
  lastCpu = cpu;
}, 5);
await new Promise((r) => setTimeout(r, 50));
maxGapMs = 0;
maxTaskCpuMs = maxTaskCpuMs === null ? null : 0;
last = performance.now();
const cpu0 = mainThreadCpuMs();
const t0 = performance.now();
// The reference is start-up as it was: start() loaded the client before it resolved.
if (inProcess) await import(pathToFileURL(createRequire(join(root, "packages/discovery-gce/package.json")).resolve("@google-cloud/compute")).href);
await discovery.start();
const startMs = performance.now() - t0;
await new Promise((resolve) => {
  const off = discovery.onPeers((peers) => {
    if (peers.length === 3) {
      off();
      resolve();
    }
  });
});
const firstPeersMs = performance.now() - t0;
const cpu1 = mainThreadCpuMs();
clearInterval(ticker);
await discovery.stop();
await gce.close();
const cpu = process.cpuUsage();
console.log(
  JSON.stringify({
    startMs,
    firstPeersMs,
    maxGapMs,
    maxTaskCpuMs,
    mainCpuMs: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
    processCpuMs: (cpu.user + cpu.system) / 1000,
  }),
);
