#!/usr/bin/env node
// Zipf reads over 3 nodes: throughput and latency of an application's GET /get?key=K, for
//   cachecluster:  3 node processes (HTTP transport, static peers), app server → group.get;
//   Go groupcache: 3 golang/groupcache HTTPPool peers (packages/testing/go/groupcache-peer, Debian's package), /get → group.Get;
//   Redis:         cache-aside on one local Redis 7 with ioredis from 3 Node app processes.
// Same load client for all (packages/testing/go/zipf-load: closed loop, Zipf s=1.1 over 10,000 keys, 1 KiB values, requests
// round-robin over the 3 nodes). Misses compute the value at once (no backend delay): this measures the cache
// path. Each run: fresh processes, warm-up, then measurement; systems rotate order per run. CPU/req: user +
// system CPU of the system's own processes (not the load client) over the measured window, per request:
// steadier than req/s on a shared machine.
// Usage: node bench/zipf.mjs [--runs 5] [--duration 4] [--warmup 2] [--concurrency 32] [--systems cachecluster,go,redis]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { arg, fmt, freePort, median, sleep, spread, startCluster, startRedis, summarize } from "./_lib.mjs";

const RUNS = Number(arg("runs", "5"));
const SECONDS = Number(arg("duration", "4"));
const WARMUP = Number(arg("warmup", "2"));
const CONCURRENCY = Number(arg("concurrency", "32"));
const KEYS = 10_000;
const VALUE_SIZE = 1024;
const NODES = 3;
const SYSTEMS = arg("systems", "cachecluster,go,redis").split(",");

/** @typedef {"cachecluster" | "go" | "redis"} System */
/** @typedef {{ rps: number, p50: number, p99: number, cpu: number, errors: number }} Row */

const { buildGoProgram } = await import("../packages/testing/dist/src/go.js");
const [peerBinary, loadBinary] = await Promise.all([buildGoProgram("groupcache-peer"), buildGoProgram("zipf-load")]);

async function startGoCluster() {
  const ports = await Promise.all(Array.from({ length: NODES }, () => freePort()));
  const peers = ports.map((p) => `http://127.0.0.1:${p}`).join(",");
  /** @type {import("node:child_process").ChildProcess[]} */
  const procs = [];
  await Promise.all(
    ports.map(
      (port) =>
        new Promise((resolve, reject) => {
          const proc = spawn(peerBinary, ["-listen", `127.0.0.1:${port}`, "-peers", peers, "-group", "bench", "-value-size", String(VALUE_SIZE)], {
            stdio: ["ignore", "pipe", "inherit"],
          });
          procs.push(proc);
          const rl = createInterface({ input: proc.stdout });
          rl.on("line", (line) => {
            if (line.includes('"ready"')) resolve(undefined);
          });
          proc.once("exit", (code) => reject(new Error(`groupcache-peer exited with ${code}`)));
        }),
    ),
  );
  return { apps: ports.map((p) => `http://127.0.0.1:${p}`), pids: procs.map((p) => p.pid), stop: () => procs.forEach((p) => p.kill("SIGKILL")) };
}

/**
 * User + system CPU of processes so far, in µs (Linux /proc; NaN elsewhere).
 * @param {(number | undefined)[]} pids
 */
function cpuUs(pids) {
  try {
    const tick = 1e6 / 100; // USER_HZ
    return pids.reduce((/** @type {number} */ sum, pid) => {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8")
        .replace(/^.*\) /, "")
        .split(" ");
      return sum + (Number(fields[11]) + Number(fields[12])) * tick;
    }, 0);
  } catch {
    return Number.NaN;
  }
}

// CPU of the system's processes (not the load client's) from the end of the warm-up to the end of the run.
/**
 * @param {string[]} apps
 * @param {(number | undefined)[]} pids
 * @returns {Promise<{ requests: number, seconds: number, p50_us: number, p99_us: number, errors: number, cpu_us: number }>}
 */
function runLoad(apps, pids) {
  return new Promise((resolve, reject) => {
    const targets = apps.map((a) => `${a}/get?key=`).join(",");
    const proc = spawn(
      loadBinary,
      [
        "-targets",
        targets,
        "-keys",
        String(KEYS),
        "-s",
        "1.1",
        "-concurrency",
        String(CONCURRENCY),
        "-duration",
        `${SECONDS}s`,
        "-warmup",
        `${WARMUP}s`,
        "-expect-bytes",
        String(VALUE_SIZE),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    let cpuStart = Number.NaN;
    const timer = setTimeout(() => (cpuStart = cpuUs(pids)), WARMUP * 1000);
    proc.stdout.on("data", (c) => (out += c));
    proc.once("exit", (code) => {
      clearTimeout(timer);
      const cpu = cpuUs(pids) - cpuStart;
      try {
        resolve({ ...JSON.parse(out.trim().split("\n").pop() ?? ""), cpu_us: cpu });
      } catch {
        reject(new Error(`zipf-load exited with ${code}: ${out}`));
      }
    });
  });
}

const redis = await startRedis();
/** @type {Record<System, string>} */
const label = { cachecluster: "cachecluster (Node, HTTP peers)", go: "Go groupcache (HTTPPool)", redis: "Redis 7 cache-aside (ioredis)" };
/** @type {Record<System, Row[]>} */
const results = { cachecluster: [], go: [], redis: [] };
console.log(
  `zipf: s=1.1 over ${KEYS.toLocaleString("en-US")} keys, ${VALUE_SIZE} B values, ${NODES} nodes, ${CONCURRENCY} closed-loop clients (packages/testing/go/zipf-load), ${SECONDS} s after ${WARMUP} s warm-up, ${RUNS} runs; node ${process.version}, Redis ${redis.version}`,
);
try {
  /** @type {System[][]} */
  const orders = [
    ["cachecluster", "go", "redis"],
    ["go", "redis", "cachecluster"],
    ["redis", "cachecluster", "go"],
  ];
  for (let run = 1; run <= RUNS; run++) {
    for (const name of (orders[(run - 1) % orders.length] ?? []).filter((n) => SYSTEMS.includes(n))) {
      let system;
      if (name === "cachecluster") {
        const c = await startCluster("cachecluster", NODES, { valueSize: VALUE_SIZE });
        system = { apps: c.nodes.map((n) => n.app), pids: c.nodes.map((n) => n.child.pid), stop: c.stop };
      } else if (name === "redis") {
        await redis.flush();
        const c = await startCluster("redis", NODES, { valueSize: VALUE_SIZE, redisPort: redis.port });
        system = { apps: c.nodes.map((n) => n.app), pids: [...c.nodes.map((n) => n.child.pid), redis.pid], stop: c.stop };
      } else {
        system = await startGoCluster();
      }
      try {
        await sleep(300);
        const r = await runLoad(system.apps, system.pids);
        const rps = r.requests / r.seconds;
        const cpu = r.cpu_us / r.requests;
        results[name].push({ rps, p50: r.p50_us, p99: r.p99_us, cpu, errors: r.errors });
        console.log(
          `run ${run} ${name.padEnd(12)} ${fmt(rps).padStart(7)} req/s  p50 ${fmt(r.p50_us).padStart(6)} µs  p99 ${fmt(r.p99_us).padStart(7)} µs  CPU/req ${fmt(cpu, 1).padStart(5)} µs  errors ${r.errors}`,
        );
      } finally {
        system.stop();
        await sleep(300);
      }
    }
  }
} finally {
  redis.stop();
}

console.log("");
console.log(`medians of ${RUNS} runs (min–max)`);
console.log(
  "| system                          | req/s                   | p50 µs                    | p99 µs                    | CPU µs/req          | errors |",
);
console.log(
  "|---------------------------------|------------------------:|--------------------------:|--------------------------:|--------------------:|-------:|",
);
for (const name of /** @type {System[]} */ (["cachecluster", "go", "redis"]).filter((n) => SYSTEMS.includes(n))) {
  const rs = results[name];
  console.log(
    `| ${label[name].padEnd(31)} | ${spread(rs.map((r) => r.rps)).padStart(23)} | ${spread(rs.map((r) => r.p50)).padStart(25)} | ${spread(rs.map((r) => r.p99)).padStart(25)} | ${spread(
      rs.map((r) => r.cpu),
      1,
    ).padStart(19)} | ${String(rs.reduce((a, r) => a + r.errors, 0)).padStart(6)} |`,
  );
}
/** @type {(name: System, f: (r: Row) => number) => number} */
const m = (name, f) => median(results[name].map(f));
console.log("");
for (const ref of /** @type {System[]} */ (["go", "redis"]).filter((n) => SYSTEMS.includes(n) && SYSTEMS.includes("cachecluster"))) {
  console.log(
    `ratio cachecluster / ${label[ref]}: req/s ${(m("cachecluster", (r) => r.rps) / m(ref, (r) => r.rps)).toFixed(2)}x, p50 ${(m("cachecluster", (r) => r.p50) / m(ref, (r) => r.p50)).toFixed(2)}x, p99 ${(m("cachecluster", (r) => r.p99) / m(ref, (r) => r.p99)).toFixed(2)}x, CPU/req ${(m("cachecluster", (r) => r.cpu) / m(ref, (r) => r.cpu)).toFixed(2)}x`,
  );
  /** @param {(r: Row) => number} f */
  const cc = (f) => m("cachecluster", f);
  summarize(
    {
      bench: "zipf",
      figure: "req/s, zipf reads over 3 nodes, 1 KiB",
      cachecluster: fmt(cc((r) => r.rps)),
      reference: `${label[ref]} ${fmt(m(ref, (r) => r.rps))}`,
      ratio: `${(cc((r) => r.rps) / m(ref, (r) => r.rps)).toFixed(2)}x`,
      goal: "-",
    },
    {
      bench: "zipf",
      figure: "p99 µs",
      cachecluster: fmt(cc((r) => r.p99)),
      reference: `${label[ref]} ${fmt(m(ref, (r) => r.p99))}`,
      ratio: `${(cc((r) => r.p99) / m(ref, (r) => r.p99)).toFixed(2)}x`,
      goal: "-",
    },
  );
}
