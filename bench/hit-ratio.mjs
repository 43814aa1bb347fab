#!/usr/bin/env node
// Hit ratio of the stores on synthetic traces (fixed seed), against Bélády's optimum computed offline on the same
// trace: zipf (s = 0.8, 1.0, 1.2), zipf with periodic scans, a loop larger than the cache, and a shifting hot
// set; caches of 0.1%, 1% and 10% of the key space. Each store runs as a group's main cache does: a get, and
// on a miss an add and evictions until the store is within its budget (golang's accounting, entryOverhead 0,
// equal-size keys and empty values, so the budget is a number of entries).
// Goal: W-TinyLFU >= LRU on every trace, and within 5 points of the optimum on the zipf traces.
//   node bench/hit-ratio.mjs [--keys 100000] [--length 1000000]
import { parseArgs } from "node:util";
import { LruStore, TinyLfuStore } from "../packages/core/dist/src/index.js";
import { summarize } from "./_lib.mjs";
import { beladyHitRatio, loopTrace, shiftingTrace, zipfTrace, zipfWithScansTrace } from "./_traces.mjs";

const { values } = parseArgs({ options: { keys: { type: "string", default: "100000" }, length: { type: "string", default: "1000000" } } });
const keys = Number(values.keys);
const length = Number(values.length);
const seed = 20240601;

const traces = {
  "zipf 0.8": () => zipfTrace({ keys, length, s: 0.8, seed }),
  "zipf 1.0": () => zipfTrace({ keys, length, s: 1.0, seed }),
  "zipf 1.2": () => zipfTrace({ keys, length, s: 1.2, seed }),
  "zipf 1.0 + scans": () => zipfWithScansTrace({ keys, length, s: 1.0, seed, period: length / 20, scan: keys / 5 }),
  "loop over all keys": () => loopTrace({ length, loop: keys }),
  "shifting hot set": () => shiftingTrace({ keys, length, s: 1.0, seed, phase: length / 10 }),
};
const sizes = [0.001, 0.01, 0.1];

const width = String(keys - 1).length;
const names = Array.from({ length: keys }, (_, i) => `k${String(i).padStart(width, "0")}`);
const entryBytes = (names[0] ?? "").length;
const EMPTY = { value: new Uint8Array(0) };

/**
 * Hit ratio of `store` on `trace`, run as a group's main cache with a budget of `capacity` entries.
 * @param {import("../packages/core/dist/src/index.js").Store} store
 * @param {Int32Array} trace
 * @param {number} capacity
 */
function storeHitRatio(store, trace, capacity) {
  const budget = capacity * entryBytes;
  let hits = 0;
  for (let i = 0; i < trace.length; i++) {
    const key = /** @type {string} */ (names[/** @type {number} */ (trace[i])]);
    if (store.get(key) !== undefined) {
      hits++;
      continue;
    }
    store.add(key, EMPTY);
    while (store.bytes > budget) store.evict();
  }
  return hits / trace.length;
}

/** @type {(x: number) => string} */
const pct = (x) => (100 * x).toFixed(1);
/** @type {Record<string, Record<string, number>>} */
const rows = {};
/** @type {number[]} */
const gaps = [];
let worstVsLru = Infinity;
for (const [name, make] of Object.entries(traces)) {
  const trace = make();
  for (const share of sizes) {
    const capacity = Math.max(1, Math.round(keys * share));
    const budget = capacity * entryBytes;
    const lru = storeHitRatio(new LruStore({ entryOverhead: 0, maxBytes: budget }), trace, capacity);
    const tiny = storeHitRatio(new TinyLfuStore({ entryOverhead: 0, maxBytes: budget }), trace, capacity);
    const opt = beladyHitRatio(trace, capacity);
    rows[`${name}, cache ${share * 100}%`] = {
      "LRU %": +pct(lru),
      "W-TinyLFU %": +pct(tiny),
      "OPT %": +pct(opt),
      "W-TinyLFU - LRU": +(100 * (tiny - lru)).toFixed(1),
      "OPT - W-TinyLFU": +(100 * (opt - tiny)).toFixed(1),
    };
    worstVsLru = Math.min(worstVsLru, tiny - lru);
    if (name.startsWith("zipf") && !name.includes("scans")) gaps.push(opt - tiny);
  }
}
console.log(
  `hit ratio: ${keys.toLocaleString("en-US")} keys, ${length.toLocaleString("en-US")} requests per trace, seed ${seed}; OPT = Bélády's optimum (may decline to admit)`,
);
console.table(rows);
const worstGap = Math.max(...gaps);
console.log(
  `W-TinyLFU - LRU, worst trace: ${(100 * worstVsLru).toFixed(1)} points (goal >= 0); OPT - W-TinyLFU, worst zipf trace: ${(100 * worstGap).toFixed(1)} points (goal <= 5)`,
);
summarize(
  {
    bench: "hit-ratio",
    figure: "W-TinyLFU minus LRU hit ratio, worst of 18 trace/size cells, points",
    cachecluster: (100 * worstVsLru).toFixed(1),
    reference: "LRU on the same trace",
    ratio: "-",
    goal: ">= 0",
  },
  {
    bench: "hit-ratio",
    figure: "Bélády's optimum minus W-TinyLFU on the zipf traces, worst cell, points",
    cachecluster: (100 * worstGap).toFixed(1),
    reference: "OPT computed offline",
    ratio: "-",
    goal: "<= 5",
  },
);
