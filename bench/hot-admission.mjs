#!/usr/bin/env node
// Hot-cache admission (issue 14, goal 5a): golang's 1-in-10 coin against admission by frequency (`frequentHot`, a
// TinyLFU sketch of the keys each node fetched from their owners), in the same run, on a simulated 3- and 5-node
// cluster. Every read goes to a random node; the key's owner is fixed (key id mod nodes, over a random permutation
// of the zipf ranks). A node reads its main cache, then its hot cache; on a miss it loads the key itself if it owns
// it, or fetches it from the owner (which reads its main cache or loads), and asks the hot policy whether to keep it.
// Each node's group has golang's caches and rule (LRU main and hot stores, main + hot within the group's budget, the
// hot cache evicted first while larger than main / 8, so it holds up to 1/9 of the budget). Values of 128 B.
// Prints the share of reads served locally (main + hot) and the peer fetches per 1,000 reads.
//   node bench/hot-admission.mjs [--keys 100000] [--reads 2000000]
import { parseArgs } from "node:util";
import { LruStore, frequentHot, oneIn } from "../packages/core/dist/src/index.js";
import { summarize } from "./_lib.mjs";
import { seededRandom } from "../packages/testing/dist/src/memory-network/random.js";
import { zipfTrace } from "./_traces.mjs";

const { values } = parseArgs({ options: { keys: { type: "string", default: "100000" }, reads: { type: "string", default: "2000000" } } });
const keys = Number(values.keys);
const reads = Number(values.reads);
const seed = 20240601;
const VALUE = { value: new Uint8Array(128) };
const width = String(keys - 1).length;
const names = Array.from({ length: keys }, (_, i) => `k${String(i).padStart(width, "0")}`);
const entryBytes = (names[0] ?? "").length + VALUE.value.byteLength;

/**
 * One node's group: LRU main and hot stores under golang's rule.
 * @param {number} budget bytes
 */
function node(budget) {
  const main = new LruStore({ entryOverhead: 0, maxBytes: budget });
  const hot = new LruStore({ entryOverhead: 0, maxBytes: budget });
  /** @param {LruStore} store @param {string} key */
  const populate = (store, key) => {
    store.add(key, VALUE);
    while (main.bytes + hot.bytes > budget) if (!(hot.bytes > main.bytes / 8 ? hot : main).evict()) break;
  };
  return { main, hot, populate };
}

/**
 * Runs `trace` over `n` nodes with the hot policy `makePolicy()` on each.
 * @param {Int32Array} trace
 * @param {number} n
 * @param {number} budget bytes per node
 * @param {() => import("../packages/core/dist/src/index.js").HotPolicy} makePolicy
 */
function simulate(trace, n, budget, makePolicy) {
  const nodes = Array.from({ length: n }, () => {
    const groupCaches = node(budget);
    const { main, hot } = groupCaches;
    // As the group tells the policy: null while the budget has room, undefined while golang's rule would evict from
    // main (hot + the new entry <= main / 8), else the hot cache's next victim.
    const hotVictim = () => (main.bytes + hot.bytes + entryBytes <= budget ? null : hot.bytes + entryBytes <= main.bytes / 8 ? undefined : hot.peekVictim());
    return { ...groupCaches, hotVictim, policy: makePolicy() };
  });
  const pick = seededRandom(seed ^ 0x5bd1e995);
  let local = 0;
  let fetches = 0;
  let admitted = 0;
  for (let i = 0; i < trace.length; i++) {
    const id = trace[i] ?? 0;
    const key = /** @type {string} */ (names[id]);
    const at = /** @type {(typeof nodes)[number]} */ (nodes[Math.floor(pick() * n)]);
    if (at.main.get(key) !== undefined || at.hot.get(key) !== undefined) {
      local++;
      continue;
    }
    const owner = /** @type {(typeof nodes)[number]} */ (nodes[id % n]);
    if (owner === at) {
      at.populate(at.main, key);
      continue;
    }
    fetches++;
    if (owner.main.get(key) === undefined) owner.populate(owner.main, key);
    if (at.policy(key, VALUE.value, at.hotVictim)) {
      admitted++;
      at.populate(at.hot, key);
    }
  }
  return { local: local / trace.length, fetches: (1000 * fetches) / trace.length, admitted: (1000 * admitted) / trace.length };
}

/** @type {Record<string, Record<string, number | string>>} */
const rows = {};
let worstLocal = Infinity;
let worstFetches = 0;
for (const s of [0.8, 1.0, 1.2]) {
  const trace = zipfTrace({ keys, length: reads, s, seed });
  for (const n of [3, 5]) {
    for (const share of [0.01, 0.05]) {
      // Each node's budget holds `share` of the key space.
      const budget = Math.round(keys * share) * entryBytes;
      const coin = simulate(trace, n, budget, () => oneIn(10, seededRandom(seed)));
      const freq = simulate(trace, n, budget, () => frequentHot({ hotBytes: Math.floor(budget / 9) }));
      rows[`zipf ${s.toFixed(1)}, ${n} nodes, budget ${share * 100}% of keys`] = {
        "local % 1-in-10": +(100 * coin.local).toFixed(1),
        "local % frequency": +(100 * freq.local).toFixed(1),
        "fetches/1k 1-in-10": +coin.fetches.toFixed(0),
        "fetches/1k frequency": +freq.fetches.toFixed(0),
        "fetches frequency / 1-in-10": +(freq.fetches / coin.fetches).toFixed(2),
        "hot adds/1k 1-in-10": +coin.admitted.toFixed(0),
        "hot adds/1k frequency": +freq.admitted.toFixed(0),
      };
      worstLocal = Math.min(worstLocal, freq.local - coin.local);
      worstFetches = Math.max(worstFetches, freq.fetches / coin.fetches);
    }
  }
}
console.log(
  `hot-cache admission: ${keys.toLocaleString("en-US")} keys, ${reads.toLocaleString("en-US")} reads per trace (each at a random node), seed ${seed}; ` +
    "golang's oneIn(10) against frequentHot (every value while the budget has room, then a key fetched twice lately, and more often than the hot cache's victim once it is full)",
);
console.table(rows);
console.log(
  `frequency - 1-in-10, share of reads served locally, worst cell: ${(100 * worstLocal).toFixed(1)} points; peer fetches frequency / 1-in-10, worst cell: ${worstFetches.toFixed(2)}x`,
);
summarize(
  {
    bench: "hot-admission",
    figure: "reads served locally (main + hot), frequency policy minus 1-in-10, worst of 12 cells, points",
    cachecluster: (100 * worstLocal).toFixed(1),
    reference: "oneIn(10) in the same run",
    ratio: "-",
    goal: "> 0",
  },
  {
    bench: "hot-admission",
    figure: "peer fetches per read, frequency policy / 1-in-10, worst of 12 cells",
    cachecluster: worstFetches.toFixed(2),
    reference: "oneIn(10) in the same run",
    ratio: `${worstFetches.toFixed(2)}x`,
    goal: "< 1.0x",
  },
);
