#!/usr/bin/env node
// A page of 50 keys over 5 cachecluster nodes (separate processes, HTTP transport, static peers): the latency
// of `group.getMany(keys)` (one request per owning peer) against 50 parallel `group.get`s (one request per
// remote key), read by node 0, interleaved round by round in the same run (the order alternates).
//   cold: fresh keys every read, so the owners load them (the loader answers at once: this measures the path);
//   warm: the same page every read, held in the owners' main caches.
// The groups keep no hot copies (hotPolicy never), so warm reads of remote keys keep going to their owners.
// About 1 key in 5 is node 0's own (a local load or hit in both modes). Figures: wall-clock p50/p99 per page,
// and node 0's CPU per page (user + system, the steadier figure on a shared machine).
// Two transports between the Node peers, each measured the same way:
//   stream: the peer stream (the default): the gets asked in one turn leave in one write to each owner anyway,
//           so getMany saves only the engine's per-key work;
//   http:   the peer stream off (`stream: false`, or a peer that refuses it): one GET per key against one
//           POST to the batch route per owner.
// Usage: node bench/get-many.mjs [--runs 3] [--rounds 60] [--page 50] [--value-size 1024] [--transports stream,http]
import { arg, fmt, median, percentile, spread, startCluster, summarize } from "./_lib.mjs";

const RUNS = Number(arg("runs", "3"));
const ROUNDS = Number(arg("rounds", "60"));
const PAGE = Number(arg("page", "50"));
const VALUE_SIZE = Number(arg("value-size", "1024"));
const TRANSPORTS_ARG = arg("transports", "stream,http");
const TRANSPORTS = TRANSPORTS_ARG.split(",");
for (const t of TRANSPORTS) {
  if (t !== "stream" && t !== "http") {
    console.error(`--transports: expected a comma-separated list of stream and http, got ${JSON.stringify(TRANSPORTS_ARG)}`);
    process.exit(2);
  }
}
const NODES = 5;

/** @typedef {{ ms: number[], cpu: number[] }} Series */
/** @typedef {{ many: Series, gets: Series, failed: number, wrong: number }} Pages */

/** @typedef {{ p50: number[], p99: number[], cpu: number[] }} Figures */
/** @type {Map<string, Record<"cold" | "warm", { many: Figures, gets: Figures }>>} */
const figures = new Map();
/** @type {() => Figures} */
const series = () => ({ p50: [], p99: [], cpu: [] });
for (const transport of TRANSPORTS) figures.set(transport, { cold: { many: series(), gets: series() }, warm: { many: series(), gets: series() } });
let problems = 0;

// The transports take turns run by run, so that a change in the host's load reaches each of them alike.
for (let run = 0; run < RUNS; run++) {
  for (const transport of TRANSPORTS) {
    const cluster = await startCluster("cachecluster", NODES, { hot: false, valueSize: VALUE_SIZE, stream: transport === "stream" });
    try {
      await measure(cluster.nodes, transport, run);
    } finally {
      await cluster.stop();
    }
  }
}

/**
 * One run over one transport's cluster: both phases, into `figures`.
 * @param {import("./_lib.mjs").AppNode[]} nodes
 * @param {string} transport
 * @param {number} run
 */
async function measure(nodes, transport, run) {
  const reader = /** @type {import("./_lib.mjs").AppNode} */ (nodes[0]);
  const into = /** @type {Record<"cold" | "warm", { many: Figures, gets: Figures }>} */ (figures.get(transport));
  // Warm-up of connections and code paths (not measured), then the warm page into the owners' caches.
  await reader.request({ cmd: "pages", prefix: `warmup-${run}`, size: PAGE, rounds: 10, warm: false });
  await reader.request({ cmd: "pages", prefix: `page-${run}`, size: PAGE, rounds: 1, warm: true });
  const loadsBefore = await totalLoads(nodes);
  for (const phase of /** @type {const} */ (["cold", "warm"])) {
    const reply = /** @type {Pages} */ (
      /** @type {unknown} */ (
        await reader.request({ cmd: "pages", prefix: phase === "cold" ? `cold-${run}` : `page-${run}`, size: PAGE, rounds: ROUNDS, warm: phase === "warm" })
      )
    );
    if (reply.failed + reply.wrong > 0) {
      problems++;
      console.error(`${transport} run ${run} ${phase}: ${reply.failed} failed and ${reply.wrong} wrong values`);
    }
    for (const mode of /** @type {const} */ (["many", "gets"])) {
      const f = into[phase][mode];
      f.p50.push(percentile(reply[mode].ms, 0.5));
      f.p99.push(percentile(reply[mode].ms, 0.99));
      f.cpu.push(median(reply[mode].cpu));
    }
  }
  // Each cold key was loaded once cluster-wide (2 reads × ROUNDS pages of fresh keys), the warm page not again.
  const loads = (await totalLoads(nodes)) - loadsBefore;
  if (loads !== 2 * ROUNDS * PAGE) {
    problems++;
    console.error(`${transport} run ${run}: ${loads} loads for ${2 * ROUNDS * PAGE} fresh keys (each must load once)`);
  }
  const stats = /** @type {{ peerBatches: number, batchGets: number }} */ ((await reader.request({ cmd: "stats" })).stats);
  if (run === 0)
    console.log(
      `${transport}: node 0's ${stats.batchGets} getMany calls sent ${stats.peerBatches} batches (${fmt(stats.peerBatches / stats.batchGets, 1)} per page)`,
    );
}

/** @param {import("./_lib.mjs").AppNode[]} nodes */
async function totalLoads(nodes) {
  const replies = await Promise.all(nodes.map((n) => n.request({ cmd: "loads" })));
  return replies.reduce((sum, r) => sum + Number(r.loads), 0);
}

console.log(`\npage of ${PAGE} keys (${fmt(VALUE_SIZE)} B values) over ${NODES} nodes, read by node 0; ${RUNS} runs × ${ROUNDS} pages per mode, interleaved`);
console.log(`| transport | phase | figure | getMany | ${PAGE} parallel gets | getMany / gets |`);
console.log("|---|---|---|---|---|---|");
/** @type {Parameters<typeof summarize>} */
const rows = [];
for (const [transport, byPhase] of figures) {
  for (const phase of /** @type {const} */ (["cold", "warm"])) {
    for (const [figure, key, unit, digits] of /** @type {const} */ ([
      ["p50 latency", "p50", "ms", 2],
      ["p99 latency", "p99", "ms", 2],
      ["node 0 CPU per page", "cpu", "µs", 0],
    ])) {
      const many = byPhase[phase].many[key];
      const gets = byPhase[phase].gets[key];
      const ratio = median(many) / median(gets);
      console.log(`| ${transport} | ${phase} | ${figure} (${unit}) | ${spread(many, digits)} | ${spread(gets, digits)} | ${fmt(ratio, 2)}x |`);
      rows.push({
        bench: "get-many",
        figure: `${transport}, ${phase} page of ${PAGE}: ${figure} (${unit})`,
        cachecluster: fmt(median(many), digits),
        reference: `${fmt(median(gets), digits)} (${PAGE} parallel gets)`,
        ratio: `${fmt(ratio, 2)}x`,
        goal: "< 1x",
      });
    }
  }
}
console.log("medians over runs (min–max); ratio < 1: getMany is faster / cheaper");
summarize(...rows);
if (problems > 0) {
  console.error(`${problems} problem(s): see above`);
  process.exit(1);
}
