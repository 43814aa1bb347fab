#!/usr/bin/env node
// Local hit throughput of Group.get on a cached 1 KB value (one core), next to golang/groupcache's
// Group.Get measured in the same run (GOMAXPROCS=1). Prints medians of several interleaved rounds and the
// ratios: of operations per second (what the goal is stated in, on a quiet machine) and of CPU time per
// operation (user + system, every thread of the process: the figure that holds up on a loaded machine).
// Also a group with the W-TinyLFU store (issue 16: its get cost <= 1.2x LRU's), interleaved with the rest.
//   node bench/local-hit.mjs [--rounds 5] [--seconds 2]
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { createCacheCluster } from "../packages/core/dist/src/index.js";
import { buildGoProgram } from "../packages/testing/dist/src/go.js";
import { summarize } from "./_lib.mjs";

const run = promisify(execFile);
const { values } = parseArgs({
  options: { rounds: { type: "string", default: "5" }, seconds: { type: "string", default: "2" }, size: { type: "string", default: "1024" } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const size = Number(values.size);

/** @type {(xs: readonly number[]) => number} */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
/** @type {(start: NodeJS.CpuUsage) => number} */
const cpuNs = (start) => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) * 1000;
};
/** @type {(xs: readonly number[]) => string} */
const spread = (xs) => `${(Math.min(...xs) / 1e6).toFixed(2)}–${(Math.max(...xs) / 1e6).toFixed(2)}`;

/** @typedef {import("../packages/core/dist/src/index.js").Group} Group */
/** @typedef {{ rate: number, cpu: number }} Round ops per second, CPU ns per op */

/**
 * Gets of the cached "key" for `seconds`.
 * @param {Group} group
 * @returns {Promise<Round>}
 */
async function nodeRound(group) {
  const deadline = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let ops = 0;
  let bytes = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) {
      const v = await group.get("key");
      bytes += v.byteLength;
      ops++;
    }
  }
  if (bytes !== ops * size) throw new Error("wrong size");
  return { rate: ops / ((performance.now() - start) / 1000), cpu: cpuNs(cpu0) / ops };
}

/**
 * Peeks of the cached "key" for `seconds`: ops per second.
 * @param {Group} group
 */
function peekRound(group) {
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let ops = 0;
  let bytes = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) {
      bytes += /** @type {Uint8Array} */ (group.peek("key")).byteLength;
      ops++;
    }
  }
  if (bytes !== ops * size) throw new Error("wrong size");
  return ops / ((performance.now() - start) / 1000);
}

const cluster = await createCacheCluster({ cache: { port: 0 } });
const value = new Uint8Array(size).map((_, i) => i & 255);
const group = cluster.group("bench", { maxBytes: 64 << 20, load: () => value });
await group.get("key");
const tinyGroup = cluster.group("bench-tinylfu", { maxBytes: 64 << 20, store: "tinylfu", load: () => value });
await tinyGroup.get("key");
const goBin = await buildGoProgram("groupcache-local-bench");

/** @type {(sink: "byteview" | "allocating") => Promise<Round>} */
const goRun = async (sink) => {
  const out = JSON.parse((await run(goBin, ["-size", String(size), "-seconds", String(seconds), "-sink", sink])).stdout);
  return { rate: out.opsPerSec, cpu: out.cpuNsPerOp };
};
/** @type {Round[]} */
const nodeRuns = [];
/** @type {Round[]} */
const tinyRuns = [];
/** @type {number[]} */
const peekRates = [];
/** @type {Round[]} */
const goViewRuns = [];
/** @type {number[]} */
const goCopyRates = [];
// Interleave the rounds so background load hits every contender alike.
for (let r = 0; r < rounds; r++) {
  nodeRuns.push(await nodeRound(group));
  tinyRuns.push(await nodeRound(tinyGroup));
  peekRates.push(peekRound(group));
  goViewRuns.push(await goRun("byteview"));
  goCopyRates.push((await goRun("allocating")).rate);
}
const nodeRates = nodeRuns.map((x) => x.rate);
const goViewRates = goViewRuns.map((x) => x.rate);
const n = median(nodeRates);
const gv = median(goViewRates);
const gc = median(goCopyRates);
const nCpu = median(nodeRuns.map((x) => x.cpu));
const gvCpu = median(goViewRuns.map((x) => x.cpu));
const tinyRates = tinyRuns.map((x) => x.rate);
const tCpu = median(tinyRuns.map((x) => x.cpu));
console.log(`local hit: get of a cached ${size} B value, one core (GOMAXPROCS=1), ${rounds} interleaved rounds of ${seconds}s`);
console.table({
  "cachecluster Group.get (shared bytes)": { "median Mops/s": +(n / 1e6).toFixed(2), "range Mops/s": spread(nodeRates), "CPU ns/get": +nCpu.toFixed(1) },
  "cachecluster Group.get, store: tinylfu": {
    "median Mops/s": +(median(tinyRates) / 1e6).toFixed(2),
    "range Mops/s": spread(tinyRates),
    "CPU ns/get": +tCpu.toFixed(1),
  },
  "cachecluster Group.peek (sync hit path)": { "median Mops/s": +(median(peekRates) / 1e6).toFixed(2), "range Mops/s": spread(peekRates), "CPU ns/get": "-" },
  "golang/groupcache Get, ByteViewSink (zero-copy)": {
    "median Mops/s": +(gv / 1e6).toFixed(2),
    "range Mops/s": spread(goViewRates),
    "CPU ns/get": +gvCpu.toFixed(1),
  },
  "golang/groupcache Get, AllocatingByteSliceSink": { "median Mops/s": +(gc / 1e6).toFixed(2), "range Mops/s": spread(goCopyRates), "CPU ns/get": "-" },
});
console.log(`ratio cachecluster / go (ByteViewSink), by CPU time per get: ${(gvCpu / nCpu).toFixed(2)}x (goal >= 1.0x)`);
console.log(`ratio cachecluster / go (ByteViewSink, like for like): ${(n / gv).toFixed(2)}x (goal >= 1.0x)`);
console.log(`ratio cachecluster / go (AllocatingByteSliceSink, groupcache's documented usage): ${(n / gc).toFixed(2)}x`);
console.log(`ratio W-TinyLFU / LRU store, by CPU time per get: ${(tCpu / nCpu).toFixed(2)}x (goal <= 1.2x)`);
console.log(`ratio cachecluster peek / go (ByteViewSink): ${(median(peekRates) / gv).toFixed(2)}x`);
summarize(
  {
    bench: "local-hit",
    figure: `get of a cached ${size} B value, M/s (one core)`,
    cachecluster: (n / 1e6).toFixed(2),
    reference: `Go Get + ByteViewSink ${(gv / 1e6).toFixed(2)}`,
    ratio: `${(n / gv).toFixed(2)}x`,
    goal: ">= 1.0x",
  },
  {
    bench: "local-hit",
    figure: `CPU ns per get of a cached ${size} B value (Go's / ours)`,
    cachecluster: nCpu.toFixed(1),
    reference: `Go Get + ByteViewSink ${gvCpu.toFixed(1)}`,
    ratio: `${(gvCpu / nCpu).toFixed(2)}x`,
    goal: ">= 1.0x",
  },
  {
    bench: "local-hit",
    figure: `CPU ns per get of a cached ${size} B value, W-TinyLFU store / LRU store`,
    cachecluster: tCpu.toFixed(1),
    reference: `LRU ${nCpu.toFixed(1)}`,
    ratio: `${(tCpu / nCpu).toFixed(2)}x`,
    goal: "<= 1.2x",
  },
);
