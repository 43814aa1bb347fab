#!/usr/bin/env node
// Hot-cache invalidation by gossip, in the SWIM simulation (in-memory network, virtual time, memberlist LAN
// timings: probe every 1 s, gossip every 200 ms to 3 members): every node holds a hot copy of a key, one node
// removes it; per remove: extra packets and bytes per node (beyond the steady state over the same span), time until
// every node dropped its copy, and a read of the key on every node after that (stale reads). The reference is
// the HTTP fan-out: N - 1 requests from the origin per remove.
// Run after `pnpm build`:  node bench/gossip-invalidation.mjs [sizes, default 50,1000] [removes, default 7]
import { invalidationCluster } from "../packages/membership-swim/dist/test/helpers/invalidation-sim.js";
import { summarize } from "./_lib.mjs";

const sizes = (process.argv[2] ?? "50,1000").split(",").map(Number);
const removes = Number(process.argv[3] ?? 7);
const PERIOD = 1000;
const GOSSIP = 200;
/** Virtual time each remove is given (and the steady-state traffic is measured over). */
const SPAN = 10_000;

/** @param {number[]} xs @param {number} q */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
};

console.log("Hot-cache invalidation by gossip (SWIM simulation, virtual time; period = 1 s probe interval, gossip every 200 ms)");
console.log(
  "N      removes  extra packets/node/remove  extra bytes/node/remove  origin HTTP requests (gossip | fan-out)  all dropped after, periods: median  p99   max   stale reads after   wall s  cpu s",
);
for (const n of sizes) {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const c = await invalidationCluster(n, 1000 + n);
  const steady = await c.steadyTraffic(SPAN);
  /** @type {import("../packages/membership-swim/dist/test/helpers/invalidation-sim.js").RemoveTrial[]} */
  const trials = [];
  for (let i = 0; i < removes; i++) {
    const key = `key-${i}`;
    const owner = c.ownerOf(key);
    // A different writer each time, never the owner.
    const others = c.nodes.filter((x) => x !== owner);
    const origin = /** @type {(typeof others)[number]} */ (others[(i * 131) % others.length]);
    trials.push(await c.change(origin, key, { maxMs: SPAN, spanMs: SPAN, steady }));
  }
  await c.stop();
  const dropped = trials.map((r) => (r.allDroppedMs ?? Number.POSITIVE_INFINITY) / PERIOD);
  const packets = trials.reduce((a, r) => a + r.extraPackets, 0) / trials.length / n;
  const bytes = trials.reduce((a, r) => a + r.extraBytes, 0) / trials.length / n;
  const http = trials.reduce((a, r) => a + r.httpRequests, 0) / trials.length;
  const stale = trials.reduce((a, r) => a + r.staleReads, 0);
  const holding = trials.reduce((a, r) => a + r.holding, 0);
  const used = process.cpuUsage(cpu);
  console.log(
    `${String(n).padEnd(6)} ${String(removes).padStart(7)} ${packets.toFixed(2).padStart(26)} ${bytes.toFixed(0).padStart(24)} ${`${http.toFixed(0)} | ${n - 1}`.padStart(40)} ${quantile(dropped, 0.5).toFixed(2).padStart(38)} ${quantile(dropped, 0.99).toFixed(2).padStart(5)} ${Math.max(
      ...dropped,
    )
      .toFixed(2)
      .padStart(
        5,
      )} ${`${stale} of ${removes * n}`.padStart(19)} ${((performance.now() - t) / 1000).toFixed(1).padStart(8)} ${((used.user + used.system) / 1e6).toFixed(1).padStart(6)}${holding > 0 ? `  (${holding} copies never dropped)` : ""}`,
  );
  console.log(
    `       steady state over the same ${SPAN / PERIOD} s: ${(steady.packets / n).toFixed(1)} packets, ${(steady.bytes / n).toFixed(0)} bytes per node; all dropped after, gossip intervals: median ${(quantile(dropped, 0.5) * (PERIOD / GOSSIP)).toFixed(1)}, max ${(Math.max(...dropped) * (PERIOD / GOSSIP)).toFixed(1)}`,
  );
  summarize(
    {
      bench: "gossip-invalidation",
      figure: `N = ${n}: extra packets / bytes per node per remove`,
      cachecluster: `${packets.toFixed(2)} / ${bytes.toFixed(0)} B`,
      reference: `HTTP fan-out: ${n - 1} requests at the origin`,
      ratio: "-",
      goal: "-",
    },
    {
      bench: "gossip-invalidation",
      figure: `N = ${n}: periods until every node dropped its copy (median / max of ${removes}); stale reads after`,
      cachecluster: `${quantile(dropped, 0.5).toFixed(2)} / ${Math.max(...dropped).toFixed(2)}; ${stale}`,
      reference: "-",
      ratio: "-",
      goal: "0 stale reads",
    },
  );
}
