#!/usr/bin/env node
// A frozen peer (SIGSTOP: a hung VM, a stopped process): what do gets of its keys cost on the node that asks it?
// Node A runs in this process (HTTP transport, static peer list [A, B]); peer B is an app node in a child process,
// frozen with SIGSTOP after start-up. Callers on A get keys that B owns (each key new, so every get is a miss that
// asks B), at a steady rate, for the same time with outlier ejection off ([cache] eject_after = 0: every get waits
// for the peer timeout) and on (the default), alternating, each phase on a fresh node A.
//   node bench/frozen-peer.mjs [--seconds 8] [--callers 8] [--interval-ms 10] [--rounds 1]
import { arg, fmt, freePort, percentile, sleep, startAppNode, summarize } from "./_lib.mjs";

const { createCacheCluster, staticDiscovery, HashRing } = await import("../packages/core/dist/src/index.js");
const { httpTransport } = await import("../packages/transport-http/dist/src/index.js");

const SECONDS = Number(arg("seconds", "8"));
const CALLERS = Number(arg("callers", "8"));
const INTERVAL_MS = Number(arg("interval-ms", "10"));
const ROUNDS = Number(arg("rounds", "1"));
const LOAD_MS = 1;

const [portA, portB] = [await freePort(), await freePort()];
const urlA = `http://127.0.0.1:${portA}`;
const urlB = `http://127.0.0.1:${portB}`;
const peer = await startAppNode({ mode: "cachecluster", cachePort: portB, peers: [urlA, urlB] });
const ring = new HashRing([urlA, urlB]);
let keyNo = 0;
/** A key B owns that no phase asked before. */
function nextKeyOfB() {
  for (;;) {
    const key = `frozen-${keyNo++}`;
    if (ring.get(key) === urlB) return key;
  }
}

/** @param {number} ejectAfter */
async function phase(ejectAfter) {
  const cluster = await createCacheCluster(
    { cache: { host: "127.0.0.1", port: portA, self: urlA, eject_after: ejectAfter }, cluster: { advertise: "127.0.0.1", name: "bench-a" } },
    [staticDiscovery([urlA, urlB]), httpTransport()],
    { logger: { debug() {}, info() {}, warn() {}, error() {} } },
  );
  const group = cluster.group("bench", { maxBytes: 64 << 20, load: (key) => sleep(LOAD_MS).then(() => `loaded:${key}`) });
  await cluster.listen({ statusRoutes: false, admin: false });
  /** @type {number[]} */
  const latencies = [];
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        await group.get(nextKeyOfB());
        latencies.push(performance.now() - started);
        await sleep(Math.max(0, INTERVAL_MS - (performance.now() - started)));
      }
    }),
  );
  // The outlier detector is ClusterNode's, not part of the public CacheCluster interface.
  const { outliers } = /** @type {{ outliers: { ejectionsTotal: Map<string, number> } }} */ (/** @type {unknown} */ (cluster));
  const ejections = [...outliers.ejectionsTotal.values()].reduce((a, b) => a + b, 0);
  await cluster.close({ leaveTimeoutMs: 10 });
  return { latencies, ejections, peerErrors: group.stats.peerErrors, peerLoads: group.stats.peerLoads };
}

try {
  peer.child.kill("SIGSTOP");
  await sleep(200);
  /** @typedef {Awaited<ReturnType<typeof phase>>} Phase */
  /** @type {Record<"off" | "on", Phase[]>} */
  const results = { off: [], on: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of /** @type {("off" | "on")[]} */ (round % 2 === 0 ? ["off", "on"] : ["on", "off"]))
      results[mode].push(await phase(mode === "off" ? 0 : 3));
  }
  /** @type {Record<string, Record<string, string | number>>} */
  const rows = {};
  /** @type {Record<"off" | "on", { p50: number, p99: number, n: number }>} */
  const figures = { off: { p50: NaN, p99: NaN, n: 0 }, on: { p50: NaN, p99: NaN, n: 0 } };
  for (const mode of /** @type {const} */ (["off", "on"])) {
    const all = results[mode].flatMap((r) => r.latencies);
    const slow = all.filter((ms) => ms > 1000).length;
    figures[mode] = { p50: percentile(all, 0.5), p99: percentile(all, 0.99), n: all.length };
    rows[mode === "off" ? "ejection off (eject_after = 0)" : "ejection on (default: 3 failures, 5 s)"] = {
      gets: all.length,
      "p50 ms": fmt(figures[mode].p50, 2),
      "p99 ms": fmt(figures[mode].p99, 1),
      "max ms": fmt(Math.max(...all), 0),
      "gets > 1 s": slow,
      "fetches that failed": results[mode].reduce((a, r) => a + r.peerErrors, 0),
      ejections: results[mode].reduce((a, r) => a + r.ejections, 0),
    };
  }
  console.log(
    `gets of keys a SIGSTOPped peer owns, on the node that asks it: ${CALLERS} callers, one get per ${INTERVAL_MS} ms each, ${SECONDS} s per phase, ` +
      `${ROUNDS} round(s); loader ${LOAD_MS} ms; peer timeout 2000 ms ([cache] timeout)`,
  );
  console.table(rows);
  summarize(
    {
      bench: "frozen-peer",
      figure: "p50 of gets of a SIGSTOPped peer's keys",
      cachecluster: `${fmt(figures.on.p50, 2)} ms`,
      reference: `${fmt(figures.off.p50, 0)} ms without ejection`,
      ratio: `${fmt(figures.off.p50 / figures.on.p50, 0)}x`,
      goal: "-",
    },
    {
      bench: "frozen-peer",
      figure: "p99 of the same gets",
      cachecluster: `${fmt(figures.on.p99, 1)} ms`,
      reference: `${fmt(figures.off.p99, 0)} ms without ejection`,
      ratio: `${fmt(figures.off.p99 / figures.on.p99, 0)}x`,
      goal: "-",
    },
  );
} finally {
  peer.child.kill("SIGKILL");
}
