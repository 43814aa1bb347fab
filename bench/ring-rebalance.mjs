#!/usr/bin/env node
// Share of keys that change owner when one of N peers leaves or joins the ring (goal: about 1/N),
// and the spread of ownership shares, with golang/groupcache's 50 replicas.
//   node bench/ring-rebalance.mjs [--keys 100000]
import { parseArgs } from "node:util";
import { HashRing } from "../packages/core/dist/src/index.js";
import { summarize } from "./_lib.mjs";

const { values } = parseArgs({ options: { keys: { type: "string", default: "100000" }, replicas: { type: "string", default: "50" } } });
const keys = Array.from({ length: Number(values.keys) }, (_, i) => `object/${i}/thumbnail.png`);
const replicas = Number(values.replicas);
const peersOf = (/** @type {number} */ n) => Array.from({ length: n }, (_, i) => `http://10.128.${i >> 8}.${(i & 255) + 2}:9080`);

/**
 * @param {HashRing} before
 * @param {HashRing} after
 */
function moved(before, after) {
  let m = 0;
  for (const k of keys) if (before.get(k) !== after.get(k)) m++;
  return m / keys.length;
}

/** @type {Record<string, Record<string, number | string>>} */
const rows = {};
for (const n of [3, 5, 10, 20, 50, 100]) {
  const peers = peersOf(n);
  const full = new HashRing(peers, replicas);
  // Average over every possible leaver (up to 10) so one lucky peer does not decide the figure.
  const leavers = peers.slice(0, Math.min(n, 10));
  const leave = leavers.map((p) =>
    moved(
      full,
      new HashRing(
        peers.filter((q) => q !== p),
        replicas,
      ),
    ),
  );
  const join = moved(full, new HashRing([...peers, `http://10.129.0.1:9080`], replicas));
  const shares = [...full.shares().values()];
  const mean = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  rows[`N=${n}`] = {
    "1/N": +(1 / n).toFixed(4),
    "moved on leave (mean)": +mean(leave).toFixed(4),
    "leave / (1/N)": +(mean(leave) * n).toFixed(2),
    "moved on join": +join.toFixed(4),
    "join / (1/(N+1))": +(join * (n + 1)).toFixed(2),
    "share min..max × N": `${(Math.min(...shares) * n).toFixed(2)}..${(Math.max(...shares) * n).toFixed(2)}`,
  };
}
console.log(`ring rebalance: ${keys.length} keys, ${replicas} replicas per peer (golang/groupcache default)`);
console.table(rows);
const ratios = (/** @type {string} */ column) => Object.values(rows).map((row) => Number(row[column]));
const range = (/** @type {number[]} */ xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
summarize(
  {
    bench: "ring-rebalance",
    figure: "keys moved when 1 of N leaves, × 1/N (N = 3–100)",
    cachecluster: range(ratios("leave / (1/N)")),
    reference: "ideal 1",
    ratio: "-",
    goal: "~1",
  },
  {
    bench: "ring-rebalance",
    figure: "keys moved when 1 joins N, × 1/(N+1)",
    cachecluster: range(ratios("join / (1/(N+1))")),
    reference: "ideal 1",
    ratio: "-",
    goal: "~1",
  },
);
