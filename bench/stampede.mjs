#!/usr/bin/env node
// Stampede: 1,000 concurrent gets of one cold key, spread over 3 application nodes (334 + 333 + 333, fired in
// the same tick on each node), against a backend that takes 50 ms. Counts backend loads (goal: exactly 1).
//   cachecluster: 3 node processes (HTTP transport, static peers); singleflight per node + one owner per key.
//   reference:    cache-aside on a local Redis 7 (redis-server started here, no persistence) with ioredis,
//                 3 node processes: GET, on a miss load from the backend, SET.
// Each run uses a fresh key; systems alternate which goes first. Usage: node bench/stampede.mjs [--runs 7]
import { fmt, percentile, spread, startCluster, startRedis, arg, sleep, summarize } from "./_lib.mjs";

const RUNS = Number(arg("runs", "7"));
const GETS = 1000;
const NODES = 3;
const BACKEND_MS = 50;

/** @typedef {"cachecluster" | "redis"} System */

/**
 * @param {Awaited<ReturnType<typeof startCluster>>} cluster
 * @param {string} key
 */
async function stampede(cluster, key) {
  const before = (await Promise.all(cluster.nodes.map((n) => n.request({ cmd: "loads" })))).reduce((a, m) => a + m.loads, 0);
  const shares = cluster.nodes.map((_n, i) => Math.floor(GETS / NODES) + (i < GETS % NODES ? 1 : 0));
  const t0 = performance.now();
  const results = await Promise.all(cluster.nodes.map((n, i) => n.request({ cmd: "stampede", key, n: shares[i] ?? 0 })));
  const wall = performance.now() - t0;
  const after = (await Promise.all(cluster.nodes.map((n) => n.request({ cmd: "loads" })))).reduce((a, m) => a + m.loads, 0);
  const lat = results.flatMap((r) => r.lat);
  return {
    loads: after - before,
    wall,
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    failed: results.reduce((a, r) => a + r.failed, 0),
    wrong: results.reduce((a, r) => a + r.wrong, 0),
  };
}

const redis = await startRedis();
/** @type {Partial<Record<System, Awaited<ReturnType<typeof startCluster>>>>} */
const systems = {};
try {
  systems.cachecluster = await startCluster("cachecluster", NODES, { backendDelayMs: BACKEND_MS });
  systems.redis = await startCluster("redis", NODES, { backendDelayMs: BACKEND_MS, redisPort: redis.port });
  await sleep(300);
  console.log(
    `stampede: ${GETS} concurrent gets of one cold key over ${NODES} nodes, backend ${BACKEND_MS} ms, ${RUNS} runs; node ${process.version}, Redis ${redis.version}, ioredis`,
  );
  /** @type {Record<System, Awaited<ReturnType<typeof stampede>>[]>} */
  const results = { cachecluster: [], redis: [] };
  for (let run = 1; run <= RUNS; run++) {
    /** @type {System[]} */
    const order = run % 2 === 1 ? ["cachecluster", "redis"] : ["redis", "cachecluster"];
    for (const name of order) {
      const r = await stampede(/** @type {NonNullable<typeof systems[System]>} */ (systems[name]), `stampede-${run}-${name}-${Date.now()}`);
      results[name].push(r);
      console.log(
        `run ${run} ${name.padEnd(12)} backend loads ${String(r.loads).padStart(4)}  all done in ${fmt(r.wall, 1).padStart(6)} ms  p50 ${fmt(r.p50, 1).padStart(6)} ms  p99 ${fmt(r.p99, 1).padStart(6)} ms  failed ${r.failed}  wrong ${r.wrong}`,
      );
    }
  }
  const label = { cachecluster: "cachecluster (3 nodes, HTTP peers)", redis: "Redis cache-aside (ioredis, 3 nodes)" };
  console.log("");
  console.log(`medians of ${RUNS} runs (min–max)`);
  console.log(
    "| system                               | backend loads (goal 1) | all 1,000 done, ms   | get p50 ms           | get p99 ms           | failed |",
  );
  console.log(
    "|--------------------------------------|-----------------------:|---------------------:|---------------------:|---------------------:|-------:|",
  );
  for (const name of /** @type {System[]} */ (["cachecluster", "redis"])) {
    const rs = results[name];
    console.log(
      `| ${label[name].padEnd(36)} | ${spread(rs.map((r) => r.loads)).padStart(22)} | ${spread(
        rs.map((r) => r.wall),
        1,
      ).padStart(20)} | ${spread(
        rs.map((r) => r.p50),
        1,
      ).padStart(20)} | ${spread(
        rs.map((r) => r.p99),
        1,
      ).padStart(20)} | ${String(rs.reduce((a, r) => a + r.failed + r.wrong, 0)).padStart(6)} |`,
    );
  }
  /** @type {(name: System, f: (r: Awaited<ReturnType<typeof stampede>>) => number) => number} */
  const med = (name, f) => {
    const xs = results[name].map(f).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)] ?? Number.NaN;
  };
  const ccLoads = med("cachecluster", (r) => r.loads);
  const rLoads = med("redis", (r) => r.loads);
  console.log("");
  console.log(`ratio: backend loads Redis cache-aside / cachecluster = ${fmt(rLoads)} / ${fmt(ccLoads)} = ${fmt(rLoads / Math.max(1, ccLoads), 0)}x`);
  console.log(
    `ratio: time until all gets done, cachecluster / Redis cache-aside = ${(med("cachecluster", (r) => r.wall) / med("redis", (r) => r.wall)).toFixed(2)}x`,
  );
  const exact = results.cachecluster.every((r) => r.loads === 1);
  console.log(`${exact ? "✔" : "✖"} cachecluster: exactly 1 backend load in every run (${results.cachecluster.map((r) => r.loads).join(", ")})`);
  if (!exact) process.exitCode = 1;
  summarize(
    {
      bench: "stampede",
      figure: "backend loads for 1,000 concurrent gets of one cold key (3 nodes)",
      cachecluster: fmt(ccLoads),
      reference: `Redis cache-aside ${fmt(rLoads)}`,
      ratio: `${fmt(rLoads / Math.max(1, ccLoads), 0)}x fewer`,
      goal: "exactly 1",
    },
    {
      bench: "stampede",
      figure: "time until all 1,000 gets are done, ms",
      cachecluster: fmt(
        med("cachecluster", (r) => r.wall),
        1,
      ),
      reference: `Redis cache-aside ${fmt(
        med("redis", (r) => r.wall),
        1,
      )}`,
      ratio: `${(med("cachecluster", (r) => r.wall) / med("redis", (r) => r.wall)).toFixed(2)}x`,
      goal: "-",
    },
  );
} finally {
  await Promise.all(Object.values(systems).map((s) => s?.stop()));
  redis.stop();
}
