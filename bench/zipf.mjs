#!/usr/bin/env node
// Zipf reads through an application's GET /get?key=K, over a sweep of shapes (nodes × keys × value size × clients), for
//   cachecluster:  N node processes (HTTP transport with its defaults, static peers), app server (plain node:http) → group.get;
//   Go groupcache: N golang/groupcache HTTPPool peers (packages/testing/go/groupcache-peer, Debian's package), /get → group.Get;
//   Redis:         cache-aside on one local Redis 7 with ioredis from N Node app processes (plain node:http).
// Same load client for all (packages/testing/go/zipf-load: closed loop, or open loop with --rate; Zipf s=1.1, requests round-robin over the
// nodes). Misses compute the value at once (no backend delay): this measures the cache path. Every node's budget
// is key + value + 64 B per key of the whole key space, times 3/N (at least 64 MiB): on 3 nodes the whole key space
// as golang counts it (cachecluster also counts its per-entry overhead, so at 100k keys its hot caches keep most of
// it, not all); Redis runs without maxmemory. The caches are first filled (--prefill) so that the measured window
// sees the steady state the issue asks for, not the caches filling:
//   every (default): the load client reads every key through every node. That is where long-running zipf traffic
//     takes the caches: at 6,000 reads/s per node even the rarest of 100k keys (s=1.1) is read on every node
//     within about 10 minutes. Redis then holds every key; a groupcache holds each key at its owner, plus the hot
//     copies its admission policy and budget keep.
//   once: key i read once, through node i mod N. Redis is in its steady state, the groupcaches' hot caches are
//     not: 3 % of the window's reads at 10k keys (3 nodes, 1 KiB) were a node's first remote read of a key,
//     which its hot cache would have held a few minutes later, and those reads made the groupcache's p99.
//   none: the window also sees first loads (5 % of reads at 10k keys, 15 % at 100k, slow for every system).
// Either prefill takes the keys in a shuffled order. In key order (popularity order) the most popular keys were the
// least recently used afterwards, the first an LRU cache over budget evicts: at 100k keys, 1 KiB, 3 nodes, 5.8 % of
// the window's reads went to the owner against 2.2 % after a shuffled prefill.
// Where a node's budget cannot hold the whole key space (100k keys of 1 and 4 KiB), no prefill leaves a groupcache's
// hot caches in their steady state: which remote keys they keep is settled by the traffic's frequencies, and the
// rarer keys are read too seldom for that to happen in seconds. There, after the prefill, each groupcache node (not
// Redis, which holds every key after it) first reads --steady-reads keys drawn as the load client draws them, in its
// own process (Node: the app's get over IPC; Go: group.Get behind the peer's /warm), all nodes at once; then the
// usual warm-up over HTTP. The caches see the traffic they would see over HTTP, faster: at 100k keys, 1 KiB, 3 nodes,
// cachecluster read 3,000,000 keys per node in 10 s, where 150 s over HTTP read about 700,000. Its reads that went
// to the owner in the window were 0.95 % after 500,000 reads per node, 0.65 % after 3,000,000 and 0.71 % after
// 8,000,000 (its steady state), against 0.9 % after the 150 s over HTTP that this replaced; a simulation of one
// node's caches fell to 0.7 % as well, and puts 0.52 % on a hot cache that held exactly the most popular remote keys.
// Go groupcache, whose hot cache holds 1/8 of main and so sends most remote reads to their owner, reads more slowly
// (500,000 reads per node in 35 s).
// Each shape: fresh processes for every system,
// warm-up, then measurement; the order of the systems rotates. CPU/req: user + system CPU of the system's own
// processes (not the load client) over the measured window, per request: steadier than req/s on a shared machine.
// Goal (issue 14): in every shape, cachecluster >= both Go and Redis in req/s, <= both in p99 and CPU/req.
// Usage: node bench/zipf.mjs [--nodes 3,5] [--keys 10000,100000] [--sizes 64,1024,4096] [--clients 32,128]
//          [--runs 1] [--duration 10] [--warmup 3] [--warmup-requests 40000] [--steady-reads 3000000] [--prefill every|once|none]
//          [--systems cachecluster,go,redis (and map: a diagnostic floor, see `label`)] [--cachecluster-budget 1 (a diagnostic: cachecluster's budget times this)]
//          [--rate 0 (closed loop) | requests/s in all (open loop)] [--pin true (a diagnostic: the system on CPU 0, the load client on CPU 1)]
//          [--stalls true (a diagnostic: the app nodes split their event-loop stalls, see `stalls`)]
//          [--profile DIR (a CPU profile of each Node app process over the measured window, written to DIR; the
//          window's top functions by self time are printed as shares of the processes' busy samples: wall-clock
//          samples, which count waiting for a core; see _perf.mjs)]
//          [--perf DIR (an on-CPU profile of the system's processes over the measured window with Linux perf,
//          working files in DIR: where the CPU per request goes, and how much of it is under cachecluster's code)]
// Where a run's time went, printed per run and system (the goal's tail is a closed loop's on 2 cores):
//   - GC pauses, event-loop delay, and the time in the app's request handler (request event to response written)
//     of the worst node: what a node itself adds to a request;
//   - for cachecluster, the reads that crossed to their owner, by how long they took in the node;
//   - of the system's processes: run-queue wait (runnable, waiting for a core), RSS, page faults, and per request
//     the system (kernel) CPU, CPU migrations, voluntary and involuntary switches, and the machine's cross-CPU
//     interrupts;
//   - the host probe: a fixed piece of work (8 passes over 256 KiB) timed 40 times in the window, in this script's
//     CPU time (getrusage: exact for the running thread, where /proc's schedstat lags by a tick). It takes longer
//     when the host gives this VM less of a core (a tenant on the SMT sibling, a hypervisor that takes the vCPU
//     away: this VM's /proc/stat counts no steal, and it has no hardware counters for perf) or when the system's
//     processes crowd the shared caches; it does not count waiting for a core;
//   - the memory probe: 20,000 dependent loads at random over 64 MiB, timed with the host probe, in ns per load:
//     it takes longer when memory is slower to reach (see `memoryProbeWork`).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { arg, fmt, freePort, median, procCounters, procRssBytes, sleep, startCluster, startRedis, summarize } from "./_lib.mjs";
import { checkPerf, perfSummary, startPerf } from "./_perf.mjs";

const RUNS = Number(arg("runs", "1"));
// p99 of 3 s at ~17,000 req/s rests on ~500 requests, a few stalls of one process: on 3 nodes, 100k keys, 1 KiB,
// 128 clients, the same code's p99 moved 33–53 ms between 3 s runs and 28–35 ms between 10 s runs in the same hour.
const SECONDS = Number(arg("duration", "10"));
const WARMUP = Number(arg("warmup", "3"));
// And at least this many requests: V8 optimizes the hot path after enough work, not time (at load 15, a 2 s
// warm-up measured 4x the CPU per request of an 8 s one).
const WARMUP_REQUESTS = Number(arg("warmup-requests", "40000"));
// The reads per node that take a groupcache's hot caches to their steady state where a node's budget cannot hold
// the whole key space (see the header); 0: none.
const STEADY_READS_ARG = arg("steady-reads", "3000000");
const STEADY_READS = Number(STEADY_READS_ARG);
if (!(Number.isSafeInteger(STEADY_READS) && STEADY_READS >= 0)) {
  throw new Error(`--steady-reads must be a whole number of reads >= 0, got ${JSON.stringify(STEADY_READS_ARG)}`);
}
/** Steady reads go in chunks of this many per node (each an IPC request or an HTTP request to a Go peer), this many at a time. */
const STEADY_CHUNK = 250_000;
const STEADY_CONCURRENCY = 32;
/** The Zipf exponent of every read: the load client's and the steady reads'. */
const ZIPF_S = 1.1;
// A diagnostic, not a comparison: cachecluster's budget as a multiple of the shape's (see cacheBytes). Its budget counts
// the entries' own overhead where golang's counts key + value only, so 1.25 lets it hold at 100k keys what Go holds.
const BUDGET_SCALE_ARG = arg("cachecluster-budget", "1");
const BUDGET_SCALE = Number(BUDGET_SCALE_ARG);
if (!(BUDGET_SCALE > 0)) throw new Error(`--cachecluster-budget must be a number > 0, got ${JSON.stringify(BUDGET_SCALE_ARG)}`);
const PROFILE_DIR = arg("profile", "");
if (PROFILE_DIR !== "") mkdirSync(PROFILE_DIR, { recursive: true });
const PERF_DIR = arg("perf", "");
if (PERF_DIR !== "") {
  checkPerf();
  mkdirSync(PERF_DIR, { recursive: true });
}
/** The app nodes run in PERF_DIR under --perf, where V8 writes the jitdump that names their JS for perf. */
const nodeSpawn = PERF_DIR === "" ? {} : { execArgv: ["--perf-prof"], cwd: PERF_DIR };
const PREFILL = arg("prefill", "every");
/** Each --prefill mode: zipf-load's flags, and what the header says was done. */
const PREFILLS = {
  every: { flags: ["-prefill", "-prefill-every-target"], text: "a prefill of every key through every node and " },
  once: { flags: ["-prefill"], text: "a prefill of every key (once) and " },
  none: { flags: [], text: "" },
};
if (!Object.hasOwn(PREFILLS, PREFILL)) throw new Error(`--prefill must be every, once or none, got ${JSON.stringify(PREFILL)}`);
const prefill = PREFILLS[/** @type {keyof typeof PREFILLS} */ (PREFILL)];
// Open loop: the same offered rate (requests/s in all) for every system, each request timed from when it was due.
// A saturating closed loop measures throughput; at a rate every system sustains, p99 compares their latency
// rather than how the OS schedules CPU-bound processes on an oversubscribed machine.
const RATE = Number(arg("rate", "0"));
// A diagnostic: the system's processes on CPU 0 and the load client on CPU 1 (taskset, every thread), so that the
// two never compete for a core: what is left of a tail difference is the system's own.
const PIN = arg("pin", "false") === "true";
// A diagnostic: the app nodes time their event-loop stalls and split them (see `stalls`). It costs each node a read
// of /proc every 2 ms (about 3 % of its busy samples in a profile): compare runs with it only to runs with it.
const STALLS = arg("stalls", "false") === "true";

/**
 * Pins every thread of process `pid` to `cpu` (taskset; its later threads inherit it).
 * @param {number | undefined} pid
 * @param {number} cpu
 */
function pin(pid, cpu) {
  if (pid === undefined) throw new Error("--pin: a process has no pid");
  execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
}
/** @type {(name: string, fallback: string) => number[]} */
const list = (name, fallback) => arg(name, fallback).split(",").map(Number);
const NODE_COUNTS = list("nodes", "3,5");
const KEY_COUNTS = list("keys", "10000,100000");
const VALUE_SIZES = list("sizes", "64,1024,4096");
const CLIENT_COUNTS = list("clients", arg("concurrency", "32,128"));
const SYSTEMS = arg("systems", "cachecluster,go,redis").split(",");

/** @typedef {{ nodes: number, keys: number, valueSize: number, clients: number }} Shape */
/** @param {Shape} shape */
const shapeName = (shape) => `${shape.nodes} nodes, ${shape.keys / 1000}k keys, ${shape.valueSize} B, ${shape.clients} clients`;
/**
 * Cache bytes per node that hold the whole key space (main and hot caches, with room for the ring's skew).
 * @param {Shape} shape
 */
const cacheBytes = (shape) => Math.max(64 << 20, Math.ceil(((shape.keys * (shape.valueSize + 64)) / shape.nodes) * 3));
/**
 * Whether one node's budget holds the whole key space as golang counts it, with a quarter more for cachecluster's
 * own per-entry overhead: if not, the hot caches keep only part of the remote keys, and which part takes traffic.
 * @param {Shape} shape
 */
const holdsKeySpace = (shape) => cacheBytes(shape) >= 1.25 * shape.keys * (shape.valueSize + 64);
/**
 * Whether a system reads STEADY_READS keys per node before its warm-up on a shape: the groupcaches, where a node's
 * budget cannot hold the whole key space.
 * @param {Shape} shape
 * @param {System} system
 */
const readsToSteady = (shape, system) => (system === "cachecluster" || system === "go") && !holdsKeySpace(shape) && STEADY_READS > 0;

/** @typedef {"cachecluster" | "go" | "redis" | "map"} System */
/** @typedef {{ rps: number, p50: number, p99: number, cpu: number, errors: number }} Row */

const { buildGoProgram } = await import("../packages/testing/dist/src/go.js");
const [peerBinary, loadBinary] = await Promise.all([buildGoProgram("groupcache-peer"), buildGoProgram("zipf-load")]);

/** @param {Shape} shape */
async function startGoCluster(shape) {
  const ports = await Promise.all(Array.from({ length: shape.nodes }, () => freePort()));
  const peers = ports.map((p) => `http://127.0.0.1:${p}`).join(",");
  /** @type {import("node:child_process").ChildProcess[]} */
  const procs = [];
  await Promise.all(
    ports.map(
      (port) =>
        new Promise((resolve, reject) => {
          const proc = spawn(
            peerBinary,
            [
              "-listen",
              `127.0.0.1:${port}`,
              "-peers",
              peers,
              "-group",
              "bench",
              "-value-size",
              String(shape.valueSize),
              "-cache-bytes",
              String(cacheBytes(shape)),
            ],
            { stdio: ["ignore", "pipe", "inherit"] },
          );
          procs.push(proc);
          const rl = createInterface({ input: proc.stdout });
          rl.on("line", (line) => {
            if (line.includes('"ready"')) resolve(undefined);
          });
          proc.once("exit", (code) => reject(new Error(`groupcache-peer exited with ${code}`)));
        }),
    ),
  );
  return { apps: ports.map((p) => `http://127.0.0.1:${p}`), pids: procs.map((p) => p.pid), stop: async () => procs.forEach((p) => p.kill("SIGKILL")) };
}

/** @typedef {{ cpu: number, system: number, minorFaults: number, majorFaults: number, wait: number, migrations: number, voluntary: number, involuntary: number, rescheduling: number, functionCall: number }} Counters */

/**
 * What the window's figures are differences of, read all at once (Linux /proc; NaN elsewhere). Of the processes,
 * summed: CPU and system (kernel) CPU in µs, page faults (minor and major); of their threads
 * (/proc/PID/task/TID): the time spent runnable but waiting for a CPU in µs (schedstat), moves from one CPU to the
 * other, switches away from a thread that blocked (voluntary: each is a wake-up later, so fewer per request means
 * more requests handled per wake-up) and from a thread that could have run on (involuntary) (sched). Of the
 * machine (/proc/interrupts): rescheduling interrupts (a wake-up of a thread on the other CPU) and function-call
 * interrupts.
 * - System CPU is mostly the loopback TCP stack.
 * - On a machine with fewer cores than busy processes, waiting for a core is where a closed loop's tail comes
 *   from: a request that arrives while its process waits for a core waits with it.
 * - A minor fault maps a page the process touches for the first time since it was given back (V8's heap pages
 *   after a GC, a new slab, a socket buffer); in a VM it, and each cross-CPU interrupt, can cost an exit to the
 *   hypervisor.
 * @param {(number | undefined)[]} pids
 * @returns {Counters}
 */
function counters(pids) {
  const sum = { cpu: 0, system: 0, minorFaults: 0, majorFaults: 0, wait: 0, migrations: 0, voluntary: 0, involuntary: 0, rescheduling: 0, functionCall: 0 };
  try {
    for (const pid of pids) {
      const p = procCounters(pid);
      sum.cpu += p.user + p.system;
      sum.system += p.system;
      sum.minorFaults += p.minorFaults;
      sum.majorFaults += p.majorFaults;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const task = `/proc/${pid}/task/${tid}`;
        sum.wait += Number(readFileSync(`${task}/schedstat`, "utf8").split(" ")[1]) / 1000;
        const sched = readFileSync(`${task}/sched`, "utf8");
        sum.migrations += Number(/se\.nr_migrations\s*:\s*(\d+)/.exec(sched)?.[1] ?? Number.NaN);
        sum.voluntary += Number(/nr_voluntary_switches\s*:\s*(\d+)/.exec(sched)?.[1] ?? Number.NaN);
        sum.involuntary += Number(/nr_involuntary_switches\s*:\s*(\d+)/.exec(sched)?.[1] ?? Number.NaN);
      }
    }
    const interrupts = readFileSync("/proc/interrupts", "utf8").split("\n");
    const count = (/** @type {string} */ name) =>
      (interrupts.find((l) => l.trimStart().startsWith(`${name}:`)) ?? "")
        .trim()
        .split(/\s+/)
        .slice(1)
        .filter((f) => /^\d+$/.test(f))
        .reduce((total, f) => total + Number(f), 0);
    sum.rescheduling = count("RES");
    sum.functionCall = count("CAL");
    return sum;
  } catch {
    return /** @type {Counters} */ (Object.fromEntries(Object.keys(sum).map((name) => [name, Number.NaN])));
  }
}

/**
 * Resident memory of processes now, in bytes (Linux /proc/PID/status VmRSS; NaN elsewhere).
 * @param {(number | undefined)[]} pids
 */
function rssBytes(pids) {
  try {
    return pids.reduce((/** @type {number} */ sum, pid) => sum + procRssBytes(pid), 0);
  } catch {
    return Number.NaN;
  }
}

/** The host probe's fixed work: 8 passes of FNV-1a over 256 KiB, rewriting it (L2-sized, no allocation). */
const probeData = new Uint32Array(1 << 16);
function probeWork() {
  let h = 2166136261;
  for (let pass = 0; pass < 8; pass++)
    for (let i = 0; i < probeData.length; i++) {
      h = Math.imul(h ^ (probeData[i] ?? 0), 16777619);
      probeData[i] = h;
    }
  return h;
}
for (let i = 0; i < 50; i++) probeWork(); // optimized before the first window
/**
 * The memory probe's fixed work: 20,000 dependent loads at random places of 64 MiB (a pointer chase along one
 * random cycle through every slot, Sattolo's shuffle), each a likely cache and TLB miss: it takes longer when
 * memory is slower to reach (a tenant that contends for the host's caches and memory bandwidth, or the system's
 * processes crowding them), which the host probe's L2-sized work does not see.
 */
const chase = new Int32Array(1 << 24);
for (let i = 0; i < chase.length; i++) chase[i] = i;
for (let i = chase.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * i);
  const t = chase[i] ?? 0;
  chase[i] = chase[j] ?? 0;
  chase[j] = t;
}
let chaseAt = 0;
function memoryProbeWork() {
  let at = chaseAt;
  for (let i = 0; i < 20_000; i++) at = chase[at] ?? 0;
  chaseAt = at;
  return at;
}
for (let i = 0; i < 50; i++) memoryProbeWork();
/**
 * Starts the host probe (see the header): the fixed work every `everyMs`; `stop()` gives its CPU µs per run of the
 * work (median and lowest) and how many runs.
 * @param {number} everyMs
 */
function hostProbe(everyMs) {
  /** @type {number[]} */
  const samples = [];
  /** @type {number[]} */
  const memory = [];
  const timer = setInterval(() => {
    const t0 = process.cpuUsage();
    probeWork();
    const t1 = process.cpuUsage();
    memoryProbeWork();
    const t2 = process.cpuUsage();
    samples.push(t1.user + t1.system - t0.user - t0.system);
    memory.push(((t2.user + t2.system - t1.user - t1.system) * 1000) / 20_000);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { median: median(samples), min: Math.min(...samples), n: samples.length, memoryNs: median(memory), memoryMinNs: Math.min(...memory) };
    },
  };
}

/**
 * The top functions of CPU profiles (V8 .cpuprofile, one per process) by self time, summed over the profiles, as
 * shares of the samples that were not idle. V8 samples on the wall clock: a process that waits for a core is
 * sampled where it waits, so these are shares of its busy time, not CPU µs (times CPU/req for an estimate of those).
 * A function is its name and where it is defined.
 * @param {string[]} files
 * @param {number} requests
 * @param {number} top
 */
function profileTop(files, requests, top) {
  /** @type {Map<string, number>} */
  const self = new Map();
  let total = 0;
  for (const file of files) {
    /** @type {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number } }[], samples: number[], timeDeltas: number[] }} */
    const profile = JSON.parse(readFileSync(file, "utf8"));
    const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    for (const [i, id] of profile.samples.entries()) {
      // A sample stands for the time until the next one.
      const us = profile.timeDeltas[i + 1] ?? 0;
      const frame = byId.get(id);
      if (frame === undefined || frame.functionName === "(idle)") continue;
      const where = frame.url === "" ? "" : ` ${frame.url.replace(/^.*\/(packages|node_modules|bench)\//, "$1/")}:${frame.lineNumber + 1}`;
      const name = `${frame.functionName || "(anonymous)"}${where}`;
      self.set(name, (self.get(name) ?? 0) + us);
      total += us;
    }
  }
  return (
    `  profile of ${files.length} processes: ${fmt(total / requests, 1)} µs busy per request; self time: ` +
    [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `${((100 * us) / total).toFixed(1)} % ${name}`)
      .join("; ")
  );
}

/**
 * Reads STEADY_READS keys per node in the nodes' own processes, all nodes at once, in chunks (see the header):
 * resolves with the seconds it took; rejects when a read failed.
 * @param {Shape} shape
 * @param {System} name
 * @param {string[]} apps the nodes' base URLs (a Go peer answers /warm there)
 * @param {import("./_lib.mjs").AppNode[]} nodes the app nodes (cachecluster)
 */
async function steadyReads(shape, name, apps, nodes) {
  const t0 = performance.now();
  for (let done = 0; done < STEADY_READS; done += STEADY_CHUNK) {
    const reads = Math.min(STEADY_CHUNK, STEADY_READS - done);
    const answers =
      name === "go"
        ? await Promise.all(
            // The peer's worker j draws with seed + j: node i's workers take seeds done + 32i ... done + 32i + 31.
            apps.map(async (app, i) => {
              const res = await fetch(
                `${app}/warm?keys=${shape.keys}&reads=${reads}&s=${ZIPF_S}&seed=${done + i * STEADY_CONCURRENCY}&concurrency=${STEADY_CONCURRENCY}`,
              );
              if (!res.ok) throw new Error(`steady reads: ${app}/warm answered ${res.status}: ${await res.text()}`);
              const { errors } = /** @type {{ errors: number }} */ (await res.json());
              return errors;
            }),
          )
        : await Promise.all(
            nodes.map(async (n) => (await n.request({ cmd: "warm", keys: shape.keys, s: ZIPF_S, reads, concurrency: STEADY_CONCURRENCY })).failed),
          );
    const failed = answers.reduce((total, n) => total + Number(n), 0);
    if (failed !== 0) throw new Error(`steady reads: ${failed} of ${reads * answers.length} reads failed`);
  }
  return (performance.now() - t0) / 1000;
}

/**
 * Runs the load client on a system; the counters of the system's processes (not the load client's) are taken
 * over the measured window, from the end of the warm-up to the end of the run.
 * @param {Shape} shape
 * @param {string[]} apps
 * @param {(number | undefined)[]} pids
 * @param {() => void} [onMeasuring] called when the measured window starts
 * @param {(() => Promise<void>) | undefined} [afterPrefill] run after the prefill, before the warm-up (the load client waits)
 * @returns {Promise<{ requests: number, seconds: number, p50_us: number, p99_us: number, errors: number, counters: Counters, rss: number,
 *   probe: { median: number, min: number, n: number, memoryNs: number, memoryMinNs: number } }>} counters: the window's differences
 */
function runLoad(shape, apps, pids, onMeasuring = () => {}, afterPrefill = undefined) {
  return new Promise((resolve, reject) => {
    const targets = apps.map((a) => `${a}/get?key=`).join(",");
    const proc = spawn(
      loadBinary,
      [
        "-targets",
        targets,
        "-keys",
        String(shape.keys),
        "-s",
        String(ZIPF_S),
        "-concurrency",
        String(shape.clients),
        "-duration",
        `${SECONDS}s`,
        "-warmup",
        `${WARMUP}s`,
        "-warmup-requests",
        String(WARMUP_REQUESTS),
        "-expect-bytes",
        String(shape.valueSize),
        ...prefill.flags,
        ...(RATE > 0 ? ["-rate", String(RATE)] : []),
        ...(afterPrefill === undefined ? [] : ["-wait-after-prefill"]),
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    // zipf-load reads its stdin only with -wait-after-prefill.
    if (afterPrefill === undefined) proc.stdin.end();
    if (PIN) pin(proc.pid, 1);
    let out = "";
    /** @type {Counters | undefined} */
    let start;
    /** @type {ReturnType<typeof hostProbe> | undefined} */
    let probe;
    let waited = false;
    proc.stdout.on("data", (c) => {
      out += c;
      if (afterPrefill !== undefined && !waited && out.includes('"waiting"')) {
        waited = true;
        afterPrefill().then(
          () => proc.stdin.end("go\n"),
          (/** @type {unknown} */ error) => {
            proc.kill("SIGKILL");
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
      if (start === undefined && out.includes('"measuring"')) {
        start = counters(pids);
        probe = hostProbe((SECONDS * 1000) / 40);
        onMeasuring();
      }
    });
    proc.once("exit", (code) => {
      const end = counters(pids);
      const rss = rssBytes(pids);
      const probed = probe?.stop() ?? { median: Number.NaN, min: Number.NaN, n: 0, memoryNs: Number.NaN, memoryMinNs: Number.NaN };
      const window = /** @type {Counters} */ (
        Object.fromEntries(Object.entries(end).map(([name, n]) => [name, n - (start?.[/** @type {keyof Counters} */ (name)] ?? Number.NaN)]))
      );
      try {
        resolve({ ...JSON.parse(out.trim().split("\n").pop() ?? ""), counters: window, rss, probe: probed });
      } catch {
        reject(new Error(`zipf-load exited with ${code}: ${out}`));
      }
    });
  });
}

/**
 * Where the measured window's reads were answered, summed over the nodes: the app's gets (not the peers'), the
 * share that crossed to the owner, and the share loaded by the backend; and the entries a node's main and hot
 * caches held at the end (averaged over the nodes).
 * @param {Record<string, number>[]} before
 * @param {Record<string, number>[]} after
 */
function whereFrom(before, after) {
  /** @type {(field: string) => number} */
  const sum = (field) => after.reduce((total, a, i) => total + (a[field] ?? 0) - (before[i]?.[field] ?? 0), 0);
  const appGets = sum("gets") - sum("serverRequests");
  const pct = (/** @type {number} */ n) => `${((100 * n) / Math.max(1, appGets)).toFixed(2)} %`;
  const perNode = (/** @type {string} */ field) => fmt(after.reduce((total, a) => total + (a[field] ?? 0), 0) / Math.max(1, after.length));
  // The group's latency buckets (core's LATENCY_BUCKETS: 0.5, 1, 2.5, 5, 10 ms, ...), grouped for the tail.
  const bucket = (/** @type {number} */ from, /** @type {number} */ to) => {
    let n = 0;
    for (let i = from; i < to; i++) n += sum(`peerGetsIn${i}`);
    return pct(n);
  };
  return (
    `  peer fetches ${pct(sum("peerLoads"))} (timed in the node: <= 2.5 ms ${bucket(0, 3)}, 2.5–5 ms ${bucket(3, 4)}, 5–10 ms ${bucket(4, 5)}, > 10 ms ${bucket(5, 15)} of the gets)` +
    `  loads ${pct(sum("localLoads"))}  items per node: main ${perNode("mainItems")}, hot ${perNode("hotItems")}`
  );
}

/**
 * @param {import("./_lib.mjs").AppNode[]} nodes
 * @param {boolean} reset starts a window: the nodes' longest GC pause and loop delay are counted from here
 * @returns {Promise<Record<string, number>[]>}
 */
function nodeStats(nodes, reset) {
  return Promise.all(nodes.map(async (n) => /** @type {Record<string, number>} */ ((await n.request({ cmd: "stats", reset })).stats)));
}

/**
 * Where the tail comes from, for the systems whose app nodes are Node processes (cachecluster, Redis's apps): GC
 * pause per second of window, averaged over the nodes (minor and major), the longest pause of any node, and the
 * worst node's event-loop delay (p99 and max). A request that arrives during a pause waits for it. And an app
 * process's memory at the end (averaged over the nodes): RSS, the JS heap in use, and ArrayBuffers (a cachecluster
 * node's slabs, and the buffers of values and sockets).
 * @param {Record<string, number>[]} before
 * @param {Record<string, number>[]} after
 * @param {number} seconds
 */
function pauses(before, after, seconds) {
  /** @type {(field: string) => number} */
  const perNodeSecond = (field) => after.reduce((total, a, i) => total + (a[field] ?? 0) - (before[i]?.[field] ?? 0), 0) / after.length / seconds;
  /** @type {(field: string) => number} */
  const worst = (field) => Math.max(...after.map((a) => a[field] ?? 0));
  /** @type {(field: string) => string} */
  const mib = (field) => fmt(after.reduce((total, a) => total + (a[field] ?? 0), 0) / after.length / 2 ** 20);
  return (
    `  GC ms/s minor ${perNodeSecond("gcMinorMs").toFixed(1)} (${perNodeSecond("gcMinorN").toFixed(1)}/s) major ${perNodeSecond("gcMajorMs").toFixed(1)} (${perNodeSecond("gcMajorN").toFixed(2)}/s)` +
    `  longest ${worst("gcMaxMs").toFixed(1)} ms  loop delay p99 ${worst("loopP99Ms").toFixed(1)} max ${worst("loopMaxMs").toFixed(1)} ms` +
    `  in the app's handler (request event to response written), worst node: p50 ${worst("servedP50Ms").toFixed(2)} p99 ${worst("servedP99Ms").toFixed(2)} max ${worst("servedMaxMs").toFixed(1)} ms` +
    stalls(after, seconds) +
    `  per app process: RSS ${mib("rss")}, JS heap ${mib("heapUsed")}, ArrayBuffers ${mib("arrayBuffers")} MiB`
  );
}

/**
 * The app nodes' event-loop stalls, under --stalls (bench/_app-node.mjs `stallWatch`: a 2 ms timer 5 ms or more
 * late): stall ms per second of window per node, split into the main thread running (of that, GC pauses: those
 * the GC observer reported within the stall, approximate since it reports a pause after it), waiting for a core,
 * and off the CPU without being runnable; and the longest stall of any node, split the same way.
 * @param {Record<string, number>[]} after
 * @param {number} seconds
 */
function stalls(after, seconds) {
  if (!STALLS) return "";
  /** @type {(field: string) => number} */
  const total = (field) => after.reduce((sum, a) => sum + (a[field] ?? 0), 0);
  const longest = after.reduce((a, b) => ((b.longestStallMs ?? 0) > (a.longestStallMs ?? 0) ? b : a));
  /** @type {(ms: number) => string} */
  const ms = (ms) => ms.toFixed(1);
  /** @type {(read: (field: string) => number) => string} */
  const split = (read) =>
    `ran ${ms(read("StallRanMs"))} (GC ${ms(read("StallGcMs"))}), waited for a core ${ms(read("StallWaitedMs"))}, off the CPU ${ms(read("StallOffMs"))}`;
  const perNodeSecond = (/** @type {string} */ field) => total(field[0]?.toLowerCase() + field.slice(1)) / after.length / seconds;
  return (
    `  loop stalls (a 2 ms timer >= 5 ms late): ${fmt(total("stalls") / after.length / seconds, 1)}/s per node, ${ms(perNodeSecond("StallMs"))} ms/s = ${split(perNodeSecond)}` +
    `; longest ${ms(longest.longestStallMs ?? 0)} ms = ${split((field) => longest[`longest${field}`] ?? 0)}`
  );
}

const redis = await startRedis();
// map, a diagnostic (not in the default systems): the same app with a plain Map of every value it has served
// (no eviction, no peers), a floor for what node:http and the kernel cost per request at a shape's footprint.
/** @type {Record<System, string>} */
const label = { cachecluster: "cachecluster", go: "Go groupcache", redis: "Redis cache-aside", map: "a Map in the app" };
/** @type {Shape[]} */
const shapes = [];
for (const nodes of NODE_COUNTS)
  for (const keys of KEY_COUNTS) for (const valueSize of VALUE_SIZES) for (const clients of CLIENT_COUNTS) shapes.push({ nodes, keys, valueSize, clients });
/** @type {{ shape: Shape, results: Record<System, Row[]> }[]} */
const sweep = shapes.map((shape) => ({ shape, results: { cachecluster: [], go: [], redis: [], map: [] } }));
console.log(
  `zipf: s=${ZIPF_S}, ${RATE > 0 ? `open loop at ${RATE} req/s, ` : ""}${shapes.length} shapes, ${SECONDS} s after ${prefill.text}a warm-up of ${WARMUP} s and ${WARMUP_REQUESTS} requests (before it, the groupcaches read ${fmt(STEADY_READS)} keys per node in-process where a node's budget cannot hold every key: ${shapes.filter((shape) => !holdsKeySpace(shape)).length} shapes), ${RUNS} run(s) each; node ${process.version}, Redis ${redis.version}; systems ${SYSTEMS.join(", ")}${BUDGET_SCALE === 1 ? "" : `; cachecluster's budget x${BUDGET_SCALE} (a diagnostic)`}${PIN ? "; the systems pinned to CPU 0, the load client to CPU 1 (a diagnostic)" : ""}${STALLS ? "; the app nodes time their loop stalls (a diagnostic)" : ""}`,
);
try {
  /** @type {System[][]} */
  const orders = [
    ["cachecluster", "go", "redis", "map"],
    ["go", "redis", "map", "cachecluster"],
    ["redis", "map", "cachecluster", "go"],
    ["map", "cachecluster", "go", "redis"],
  ];
  let turn = 0;
  for (const { shape, results } of sweep) {
    for (let run = 1; run <= RUNS; run++) {
      for (const name of (orders[turn++ % orders.length] ?? []).filter((n) => SYSTEMS.includes(n))) {
        let system;
        /** @type {(() => Promise<string>) | undefined} */
        let perfLine;
        if (name === "cachecluster") {
          const c = await startCluster(
            "cachecluster",
            shape.nodes,
            {
              valueSize: shape.valueSize,
              maxBytes: Math.floor(cacheBytes(shape) * BUDGET_SCALE),
              stalls: STALLS,
            },
            nodeSpawn,
          );
          system = {
            apps: c.nodes.map((n) => n.app),
            pids: c.nodes.map((n) => n.child.pid),
            stop: c.stop,
            stats: (reset = false) => nodeStats(c.nodes, reset),
            nodes: c.nodes,
          };
        } else if (name === "redis" || name === "map") {
          if (name === "redis") await redis.flush();
          const c = await startCluster(name, shape.nodes, { valueSize: shape.valueSize, redisPort: redis.port, stalls: STALLS }, nodeSpawn);
          system = {
            apps: c.nodes.map((n) => n.app),
            pids: [...c.nodes.map((n) => n.child.pid), ...(name === "redis" ? [redis.pid] : [])],
            stop: c.stop,
            stats: (reset = false) => nodeStats(c.nodes, reset),
            nodes: c.nodes,
          };
        } else {
          system = await startGoCluster(shape);
        }
        try {
          if (PIN) for (const pid of system.pids) pin(pid, 0);
          await sleep(300);
          /** @type {Promise<Record<string, number>[]> | undefined} */
          let before;
          /** @type {number | undefined} */
          let steadySeconds;
          const appNodes = "nodes" in system ? system.nodes : [];
          // What this run's profile files are named after.
          const runName = `zipf-${name}-${shape.nodes}n-${shape.keys / 1000}k-${shape.valueSize}B-${shape.clients}c-run${run}`;
          const profiles = PROFILE_DIR === "" ? [] : appNodes.map((_, i) => join(PROFILE_DIR, `${runName}-node${i}.cpuprofile`));
          /** @type {Promise<import("./_lib.mjs").AppNodeReply[]> | undefined} */
          let profiling;
          /** @type {ReturnType<typeof startPerf> | undefined} */
          let perf;
          const r = await runLoad(
            shape,
            system.apps,
            system.pids,
            () => {
              before = "stats" in system ? system.stats(true) : undefined;
              if (profiles.length > 0) profiling = Promise.all(appNodes.map((n) => n.request({ cmd: "profile", start: true })));
              if (PERF_DIR !== "") {
                perf = startPerf(/** @type {number[]} */ (system.pids.filter((pid) => pid !== undefined)), join(PERF_DIR, `${runName}.data`));
              }
            },
            readsToSteady(shape, name)
              ? async () => {
                  steadySeconds = await steadyReads(shape, name, system.apps, appNodes);
                }
              : undefined,
          );
          const windowEnd = Number(process.hrtime.bigint()) / 1e9;
          if (perf !== undefined) {
            const file = await perf.stop();
            // The Node processes write the rest of their jitdump when they exit (see `perfLine` below).
            perfLine = () => perfSummary(file, r.requests, windowEnd, r.seconds);
          }
          if (profiling !== undefined) {
            const answers = [
              await profiling,
              await Promise.all(appNodes.map((n, i) => n.request({ cmd: "profile", start: false, file: profiles[i] ?? "" }))),
            ].flat();
            const failed = answers.find((a) => "error" in a);
            if (failed !== undefined) throw new Error(`--profile: an app node answered ${String(failed.error)}`);
          }
          const profiled = profiles.length === 0 ? "" : profileTop(profiles, r.requests, 12);
          const first = before === undefined || !("stats" in system) ? undefined : await before;
          const after = first === undefined || !("stats" in system) ? undefined : await system.stats();
          const path = first === undefined || after === undefined || name !== "cachecluster" ? "" : whereFrom(first, after);
          const tail = first === undefined || after === undefined ? "" : pauses(first, after, r.seconds);
          const sched =
            `  its processes: run-queue wait ${fmt(r.counters.wait / 1000 / r.seconds / system.pids.length, 0)} ms/s each (${fmt((100 * r.counters.wait) / (r.counters.wait + r.counters.cpu), 0)} % of their runnable time), RSS ${fmt(r.rss / 2 ** 20, 0)} MiB in all, page faults ${fmt(r.counters.minorFaults / r.seconds, 0)}/s minor, ${fmt(r.counters.majorFaults / r.seconds, 1)}/s major` +
            `  per request: system CPU ${fmt(r.counters.system / r.requests, 1)} µs, CPU migrations ${fmt(r.counters.migrations / r.requests, 3)}, voluntary switches (a thread blocked, to be woken) ${fmt(r.counters.voluntary / r.requests, 3)}, involuntary switches ${fmt(r.counters.involuntary / r.requests, 3)}, cross-CPU interrupts (machine) ${fmt(r.counters.rescheduling / r.requests, 2)} rescheduling, ${fmt(r.counters.functionCall / r.requests, 2)} function call` +
            `  host probe ${fmt(r.probe.median, 0)} µs (lowest ${fmt(r.probe.min, 0)}, ${r.probe.n} runs), memory probe ${fmt(r.probe.memoryNs, 0)} ns per load (lowest ${fmt(r.probe.memoryMinNs, 0)})`;
          const rps = r.requests / r.seconds;
          const cpu = r.counters.cpu / r.requests;
          results[name].push({ rps, p50: r.p50_us, p99: r.p99_us, cpu, errors: r.errors });
          console.log(
            `${shapeName(shape).padEnd(40)} run ${run} ${name.padEnd(12)} ${fmt(rps).padStart(7)} req/s  p50 ${fmt(r.p50_us).padStart(6)} µs  p99 ${fmt(r.p99_us).padStart(7)} µs  CPU/req ${fmt(cpu, 1).padStart(5)} µs  errors ${r.errors}  warm-up ${steadySeconds === undefined ? "" : `${fmt(STEADY_READS)} reads per node in-process (${fmt(steadySeconds, 0)} s), then `}${WARMUP} s${path}${tail}${sched}${profiled}`,
          );
        } finally {
          await system.stop();
          await sleep(300);
        }
        if (perfLine !== undefined) console.log(`${shapeName(shape).padEnd(40)} run ${run} ${name.padEnd(12)}${await perfLine()}`);
      }
    }
  }
} finally {
  redis.stop();
}

/** @type {(rows: Row[], f: (r: Row) => number) => number} */
const med = (rows, f) => median(rows.map(f));
console.log("");
console.log(
  `cachecluster against each reference, per shape (medians of ${RUNS} run(s)): req/s ratio (goal >= 1), p99 and CPU/req ratios (goal <= 1)${RATE > 0 ? `; open loop at ${RATE} req/s: req/s is the offered rate wherever a system keeps up, the latency and CPU are the comparison` : ""}`,
);
const refs = /** @type {System[]} */ (["go", "redis", "map"]).filter((n) => SYSTEMS.includes(n) && SYSTEMS.includes("cachecluster"));
console.log(
  `| shape                                    | cachecluster req/s | p99 µs | CPU µs/req | ${refs.map((r) => `${label[r]}: req/s, p99, CPU (ratios)`).join(" | ")} |`,
);
console.log(
  `|------------------------------------------|-------------------:|-------:|-----------:|${refs.map(() => "---------------------------------:|").join("")}`,
);
/** @type {Record<string, { rps: number[], p99: number[], cpu: number[] }>} */
const ratios = {};
for (const { shape, results } of sweep) {
  const cc = results.cachecluster;
  if (cc.length === 0) continue;
  const cells = refs.map((ref) => {
    const rows = results[ref];
    const r = {
      rps: med(cc, (x) => x.rps) / med(rows, (x) => x.rps),
      p99: med(cc, (x) => x.p99) / med(rows, (x) => x.p99),
      cpu: med(cc, (x) => x.cpu) / med(rows, (x) => x.cpu),
    };
    const into = (ratios[ref] ??= { rps: [], p99: [], cpu: [] });
    into.rps.push(r.rps);
    into.p99.push(r.p99);
    into.cpu.push(r.cpu);
    return `${fmt(med(rows, (x) => x.rps))}, ${fmt(med(rows, (x) => x.p99))}, ${fmt(
      med(rows, (x) => x.cpu),
      1,
    )} (${r.rps.toFixed(2)}x, ${r.p99.toFixed(2)}x, ${r.cpu.toFixed(2)}x)`;
  });
  console.log(
    `| ${shapeName(shape).padEnd(40)} | ${fmt(med(cc, (x) => x.rps)).padStart(18)} | ${fmt(med(cc, (x) => x.p99)).padStart(6)} | ${fmt(
      med(cc, (x) => x.cpu),
      1,
    ).padStart(10)} | ${cells.map((c) => c.padStart(32)).join(" | ")} |`,
  );
}
console.log("");
for (const ref of refs) {
  const r = ratios[ref];
  if (r === undefined) continue;
  const met = (/** @type {number[]} */ xs, /** @type {boolean} */ higher) => xs.filter((x) => (higher ? x >= 1 : x <= 1)).length;
  console.log(
    `against ${label[ref]} over ${r.rps.length} shapes: req/s worst ${Math.min(...r.rps).toFixed(2)}x median ${median(r.rps).toFixed(2)}x (${met(r.rps, true)} met); p99 worst ${Math.max(...r.p99).toFixed(2)}x median ${median(r.p99).toFixed(2)}x (${met(r.p99, false)} met); CPU/req worst ${Math.max(...r.cpu).toFixed(2)}x median ${median(r.cpu).toFixed(2)}x (${met(r.cpu, false)} met)`,
  );
  // The map is a floor to read the others against, not a goal.
  if (ref === "map") continue;
  summarize(
    {
      bench: "zipf",
      figure: `req/s over ${r.rps.length} shapes (worst; median)`,
      cachecluster: "-",
      reference: label[ref],
      ratio: `${Math.min(...r.rps).toFixed(2)}x; ${median(r.rps).toFixed(2)}x`,
      goal: ">= 1.0x",
    },
    {
      bench: "zipf",
      figure: `p99 over ${r.p99.length} shapes (worst; median)`,
      cachecluster: "-",
      reference: label[ref],
      ratio: `${Math.max(...r.p99).toFixed(2)}x; ${median(r.p99).toFixed(2)}x`,
      goal: "<= 1.0x",
    },
    {
      bench: "zipf",
      figure: `CPU per request over ${r.cpu.length} shapes (worst; median)`,
      cachecluster: "-",
      reference: label[ref],
      ratio: `${Math.max(...r.cpu).toFixed(2)}x; ${median(r.cpu).toFixed(2)}x`,
      goal: "<= 1.0x",
    },
  );
}
