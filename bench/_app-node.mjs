#!/usr/bin/env node
// One application node for bench/stampede.mjs and bench/zipf.mjs (not a benchmark itself: run.mjs skips
// files starting with "_"). Config: JSON in BENCH_NODE. Three modes over the same "backend" (a deterministic
// value, optionally after a delay, counted per call):
//   cachecluster: a cachecluster node (HTTP transport, static peer list) whose group loads from the backend;
//   redis:        cache-aside on a shared Redis with ioredis: GET, on a miss call the backend and SET;
//   map:          a plain Map of every value the node has served (no eviction, no peers): a floor, for zipf;
//                 BENCH_MAP_SPIN_US=N busy-waits N µs in each get (a diagnostic: the floor with more CPU per request);
//                 BENCH_MAP_SLAB_SKEW=N keeps the values in 1 MiB slabs, each N bytes after the one before, instead of
//                 a Buffer each (a diagnostic: the floor with its values laid out as our store lays them out).
// BENCH_COPY_VALUE=1 makes a cachecluster node copy each value its gets return (not getMany's) into a new Buffer
// before the response (a diagnostic: the kernel then copies the response from bytes just written).
// Serves GET /get?key=K on its app port, and answers IPC {cmd:"stampede", key, n} (n concurrent gets of one
// key, fired in the same tick) and {cmd:"loads"} (backend calls so far). BENCH_TRANSPORT (JSON) passes options
// to httpTransport(), e.g. BENCH_TRANSPORT='{"connections":8,"pipelining":4}' node bench/zipf.mjs; the config's
// `stream` (the peer stream on or off) overrides theirs. {cmd:"profile", start:true} starts a CPU profile of this
// process (V8's sampling profiler, as --cpu-prof, but over a window the caller picks); {cmd:"profile", start:false,
// file} stops it and writes it there as a .cpuprofile.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { Session } from "node:inspector/promises";
import { constants as perf, createHistogram, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { Zipf } from "../packages/testing/dist/src/fleet/zipf.js";
/** @import { AppNodeCommand, AppNodeConfig } from "./_lib.mjs" */

/** @type {AppNodeConfig} */
const cfg = JSON.parse(process.env.BENCH_NODE ?? "{}");
const VALUE_SIZE = cfg.valueSize ?? 1024;
let backendCalls = 0;

/** @param {string} key */
function valueOf(key) {
  const v = `value-of:${key}`;
  return v.length >= VALUE_SIZE ? v : v + ".".repeat(VALUE_SIZE - v.length);
}

/** @param {string} key */
async function backend(key) {
  backendCalls++;
  if (cfg.backendDelayMs !== undefined && cfg.backendDelayMs > 0) await new Promise((r) => setTimeout(r, cfg.backendDelayMs));
  return valueOf(key);
}

/**
 * A diagnostic's number from the environment, `fallback` when unset; a value that `valid` refuses stops the node
 * with an error naming the variable and its value.
 * @template F
 * @param {string} name
 * @param {F} fallback
 * @param {(n: number) => boolean} valid
 * @param {string} expected
 * @returns {number | F}
 */
function envNumber(name, fallback, valid, expected) {
  const text = process.env[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!valid(n)) throw new Error(`${name}: expected ${expected}, got ${text}`);
  return n;
}

/** @type {(key: string) => Promise<string | Uint8Array>} */
let get;
/** @type {(keys: string[]) => Promise<PromiseSettledResult<string | Uint8Array>[]>} */
let getMany = (keys) => Promise.allSettled(keys.map((key) => get(key)));
/** @type {() => Promise<unknown>} */
let close;
/** @type {() => object} */
let stats = () => ({});
if (cfg.mode === "cachecluster") {
  const copy = process.env.BENCH_COPY_VALUE ?? "0";
  if (copy !== "0" && copy !== "1") throw new Error(`BENCH_COPY_VALUE: expected 0 or 1, got ${copy}`);
  const copyValues = copy === "1";
  const { createCacheCluster, staticDiscovery } = await import("../packages/core/dist/src/index.js");
  const { httpTransport } = await import("../packages/transport-http/dist/src/index.js");
  const cluster = await createCacheCluster(
    {
      cache: { host: "127.0.0.1", port: cfg.cachePort, self: `http://127.0.0.1:${cfg.cachePort}` },
      cluster: { advertise: "127.0.0.1", name: `bench-${cfg.cachePort}` },
    },
    [
      staticDiscovery(cfg.peers ?? []),
      httpTransport({ ...JSON.parse(process.env.BENCH_TRANSPORT ?? "{}"), ...(cfg.stream === undefined ? {} : { stream: cfg.stream }) }),
    ],
  );
  const group = cluster.group("bench", {
    maxBytes: cfg.maxBytes ?? 64 << 20,
    load: (key) => backend(key),
    // hot: false keeps no hot copies, so repeated reads of remote keys keep going to their owners.
    ...(cfg.hot === false ? { hotPolicy: () => false } : {}),
  });
  await cluster.listen({ statusRoutes: false, admin: false });
  // The cluster's latency histograms (core's ClusterInstruments: not part of the CacheCluster type).
  const instruments = /** @type {{ instruments?: { gets: Map<string, { get(label: string): { counts: Float64Array } | undefined }> } }} */ (
    /** @type {unknown} */ (cluster)
  ).instruments;
  const peerGetLatency = () => instruments?.gets.get("bench")?.get("peer");
  get = copyValues ? (key) => group.get(key).then((value) => Buffer.from(value)) : (key) => group.get(key);
  getMany = (keys) => group.getMany(keys);
  close = () => cluster.close();
  stats = () => ({
    ...group.stats,
    ring: cluster.ring.peers.length,
    hotItems: group.cacheStats("hot").items,
    mainItems: group.cacheStats("main").items,
    // The gets that crossed to the owner, by how long they took here (the group's histogram: bucket counts).
    ...Object.fromEntries([...(peerGetLatency()?.counts ?? [])].map((n, i) => [`peerGetsIn${i}`, n])),
  });
} else if (cfg.mode === "redis") {
  const { Redis } = await import("ioredis");
  const redis = new Redis({ host: "127.0.0.1", port: cfg.redisPort ?? 6379, lazyConnect: true, enableAutoPipelining: false, maxRetriesPerRequest: 2 });
  await redis.connect();
  get = async (key) => {
    const cached = await redis.getBuffer(key);
    if (cached !== null) return cached;
    const value = await backend(key);
    await redis.set(key, value, "EX", 600);
    return value;
  };
  close = () => redis.quit();
} else if (cfg.mode === "map") {
  /** @type {Map<string, Uint8Array>} */
  const values = new Map();
  // BENCH_MAP_SPIN_US (a diagnostic): busy-wait this many µs in each get, as if the app did that much more work.
  const spinMs = envNumber("BENCH_MAP_SPIN_US", 0, (n) => n >= 0 && Number.isFinite(n), "µs >= 0") / 1000;
  // BENCH_MAP_SLAB_SKEW (a diagnostic): values copied into 1 MiB slabs, each this many bytes after the one before
  // (our store keeps an entry's key just before its value), instead of a Buffer each.
  const skew = envNumber("BENCH_MAP_SLAB_SKEW", undefined, (n) => Number.isInteger(n) && n >= 0 && n <= 4096, "an integer from 0 to 4096 (bytes)");
  const SLAB_BYTES = 1 << 20;
  let slab = new Uint8Array(0);
  let slabAt = 0;
  /** @type {(text: string) => Uint8Array} */
  const keep = (text) => {
    const loaded = Buffer.from(text);
    if (skew === undefined || skew + loaded.length > SLAB_BYTES) return loaded;
    if (slabAt + skew + loaded.length > slab.length) {
      slab = new Uint8Array(SLAB_BYTES);
      slabAt = 0;
    }
    slabAt += skew;
    slab.set(loaded, slabAt);
    const value = slab.subarray(slabAt, slabAt + loaded.length);
    slabAt += loaded.length;
    return value;
  };
  get = async (key) => {
    if (spinMs > 0) for (const until = performance.now() + spinMs; performance.now() < until;);
    const cached = values.get(key);
    if (cached !== undefined) return cached;
    const value = keep(await backend(key));
    values.set(key, value);
    return value;
  };
  close = async () => values.clear();
} else {
  throw new Error(`unknown mode ${String(cfg.mode)}`);
}

/**
 * This process's pauses, for bench/zipf.mjs's "where the tail comes from": GC pauses by kind (counts and ms,
 * cumulative, so a window is a difference; the longest since the last `stats` with `reset`) and the event loop's
 * delay since then; and where its memory is now (RSS, the JS heap in use, ArrayBuffers).
 */
const runtime = (() => {
  const gc = { gcMinorN: 0, gcMinorMs: 0, gcMajorN: 0, gcMajorMs: 0, gcMaxMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = /** @type {{ detail?: { kind?: number } }} */ (/** @type {unknown} */ (e)).detail?.kind;
      if (kind === perf.NODE_PERFORMANCE_GC_MINOR) {
        gc.gcMinorN++;
        gc.gcMinorMs += e.duration;
      } else if (kind === perf.NODE_PERFORMANCE_GC_MAJOR) {
        gc.gcMajorN++;
        gc.gcMajorMs += e.duration;
      }
      gc.gcMaxMs = Math.max(gc.gcMaxMs, e.duration);
    }
  }).observe({ type: "gc" });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  // From the request's event to the response's last byte handed to the kernel, per request.
  const served = createHistogram();
  const stalls = stallWatch(() => gc.gcMinorMs + gc.gcMajorMs);
  return {
    served: (/** @type {number} */ ns) => served.record(ns >= 1 ? Math.round(ns) : 1),
    reset: () => {
      loopDelay.reset();
      served.reset();
      stalls.reset();
      gc.gcMaxMs = 0;
    },
    read: () => {
      const memory = process.memoryUsage();
      return {
        ...gc,
        loopP99Ms: loopDelay.percentile(99) / 1e6,
        loopMaxMs: loopDelay.max / 1e6,
        servedP50Ms: served.count === 0 ? 0 : served.percentile(50) / 1e6,
        servedP99Ms: served.count === 0 ? 0 : served.percentile(99) / 1e6,
        servedMaxMs: served.count === 0 ? 0 : served.max / 1e6,
        ...stalls.read(),
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        arrayBuffers: memory.arrayBuffers,
      };
    },
  };
})();

/**
 * Where the event loop's stalls went (cfg.stalls; bench/zipf.mjs --stalls prints them): a 2 ms timer reads the
 * main thread's scheduler counters (/proc/self/task/PID/schedstat: ns on a CPU, ns runnable but waiting for one) at
 * each tick, and a tick that comes 5 ms or more late is a stall: the time since the previous tick splits into this
 * thread running (of that, GC pauses: `gcMs`, from the GC observer), waiting for a core, and off the CPU without
 * being runnable (idle, or blocked in the kernel: a page fault, a lock, a system call). Sums over all stalls, and
 * the longest stall alone. Off Linux, or without cfg.stalls, it reports nothing.
 * @param {() => number} gcMs the GC pause ms so far
 */
function stallWatch(gcMs) {
  const empty = { stalls: 0, stallMs: 0, stallRanMs: 0, stallGcMs: 0, stallWaitedMs: 0, stallOffMs: 0 };
  let sum = { ...empty };
  let longest = { ...empty };
  const file = `/proc/self/task/${process.pid}/schedstat`;
  const sample = () => {
    try {
      const [ran = 0, waited = 0] = readFileSync(file, "utf8").split(" ").map(Number);
      return { at: performance.now(), ran: ran / 1e6, waited: waited / 1e6, gc: gcMs() };
    } catch {
      return undefined;
    }
  };
  let last = cfg.stalls === true ? sample() : undefined;
  if (last !== undefined)
    setInterval(() => {
      const now = sample();
      if (now === undefined || last === undefined) return;
      const gap = now.at - last.at;
      if (gap >= 7) {
        const ran = now.ran - last.ran;
        const waited = now.waited - last.waited;
        const stall = {
          stalls: 1,
          stallMs: gap,
          stallRanMs: ran,
          stallGcMs: now.gc - last.gc,
          stallWaitedMs: waited,
          stallOffMs: Math.max(0, gap - ran - waited),
        };
        for (const field of /** @type {(keyof typeof empty)[]} */ (Object.keys(empty))) sum[field] += stall[field];
        if (gap > longest.stallMs) longest = stall;
      }
      last = now;
    }, 2).unref();
  return {
    reset: () => {
      sum = { ...empty };
      longest = { ...empty };
    },
    read: () => ({ ...sum, ...Object.fromEntries(Object.entries(longest).map(([field, ms]) => [`longest${field[0]?.toUpperCase()}${field.slice(1)}`, ms])) }),
  };
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  const key = url.searchParams.get("key");
  if (url.pathname !== "/get" || key === null) {
    res.writeHead(404).end();
    return;
  }
  // In ms as a double, not process.hrtime.bigint(): on Node 20 TurboFan deoptimized this closure and `served`
  // ("not a heap number") and optimized them again about 250 times in 25 s per node, a compile of ~1.5 ms each,
  // which cost every Node system here about 6 µs of V8 compiler CPU per request (zipf --perf; Go pays none of it).
  const t0 = performance.now();
  res.once("finish", () => runtime.served((performance.now() - t0) * 1e6));
  get(key).then(
    (value) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(value),
    (error) => res.writeHead(500, { "content-type": "text/plain" }).end(String(error?.message ?? error)),
  );
});
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(cfg.appPort ?? 0, "127.0.0.1", () => resolve(undefined)));

/** @type {Session | undefined} */
let profiler;

/** @param {AppNodeCommand & { id: number }} m */
async function onMessage(m) {
  const reply = (/** @type {object} */ answer) => process.send?.({ id: m.id, ...answer });
  if (m.cmd === "stampede") {
    const expected = valueOf(m.key);
    /** @type {number[]} */
    const lat = [];
    let wrong = 0;
    let failed = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: m.n }, async () => {
        const s = performance.now();
        try {
          const v = await get(m.key);
          const text = typeof v === "string" ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString();
          if (text !== expected) wrong++;
        } catch {
          failed++;
        }
        lat.push(performance.now() - s);
      }),
    );
    reply({ ms: performance.now() - t0, lat, wrong, failed });
  } else if (m.cmd === "pages") {
    reply(await pages(m));
  } else if (m.cmd === "warm") {
    reply(await warm(m));
  } else if (m.cmd === "stats") {
    reply({ stats: { ...stats(), ...runtime.read() } });
    if (m.reset === true) runtime.reset();
  } else if (m.cmd === "profile") {
    try {
      if (m.start) {
        profiler ??= new Session();
        profiler.connect();
        await profiler.post("Profiler.enable");
        await profiler.post("Profiler.start");
        reply({ profiling: true });
      } else if (profiler === undefined) {
        reply({ error: "no profile was started" });
      } else {
        const { profile } = await profiler.post("Profiler.stop");
        profiler.disconnect();
        await writeFile(m.file, JSON.stringify(profile));
        reply({ file: m.file });
      }
    } catch (error) {
      reply({ error: `profile: ${String(error)}` });
    }
  } else if (m.cmd === "loads") {
    reply({ loads: backendCalls });
  } else if (m.cmd === "close") {
    await close();
    process.exit(0);
  }
}
/**
 * Reads `m.rounds` pages of `m.size` keys one page at a time, each round once with getMany and once with
 * `m.size` parallel gets (their order alternating round by round), and times each read: wall-clock ms and this
 * process's CPU µs. `m.warm`: every round reads the same keys `${prefix}-${i}` (loaded before); otherwise each
 * read gets fresh keys (`${prefix}-${round}-${many|gets}-${i}`), so the owners load them.
 * @param {Extract<AppNodeCommand, { cmd: "pages" }>} m
 */
async function pages(m) {
  /** @type {{ many: { ms: number[], cpu: number[] }, gets: { ms: number[], cpu: number[] } }} */
  const out = { many: { ms: [], cpu: [] }, gets: { ms: [], cpu: [] } };
  let failed = 0;
  let wrong = 0;
  for (let round = 0; round < m.rounds; round++) {
    /** @type {("many" | "gets")[]} */
    const order = round % 2 === 0 ? ["many", "gets"] : ["gets", "many"];
    for (const mode of order) {
      const keys = Array.from({ length: m.size }, (_, i) => (m.warm ? `${m.prefix}-${i}` : `${m.prefix}-${round}-${mode}-${i}`));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const results = mode === "many" ? await getMany(keys) : await Promise.allSettled(keys.map((key) => get(key)));
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      out[mode].ms.push(ms);
      out[mode].cpu.push(cpu.user + cpu.system);
      for (const [i, r] of results.entries()) {
        if (r.status === "rejected") failed++;
        else if (
          (typeof r.value === "string" ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength).toString()) !== valueOf(keys[i] ?? "")
        )
          wrong++;
      }
    }
  }
  return { ...out, failed, wrong };
}

/** @type {Map<string, Zipf>} */
const zipfs = new Map();

/**
 * Zipf ranks over `keys` keys with exponent `s`, built once per pair (the table is a Float64Array of `keys`).
 * @param {number} keys
 * @param {number} s
 */
function zipfOf(keys, s) {
  const name = `${keys} ${s}`;
  let zipf = zipfs.get(name);
  if (zipf === undefined) zipfs.set(name, (zipf = new Zipf(keys, s)));
  return zipf;
}

/**
 * Reads `m.reads` keys `key-<k>` through this node's get, `m.concurrency` at a time, k drawn as zipf-load draws
 * them (Go's rand.Zipf with v = 1: P(k) proportional to (1 + k)^-s over k < m.keys): the traffic that takes a
 * groupcache's hot cache to its steady state, run in the process instead of through the app's HTTP handler (a read
 * of another node's key still goes to its owner) (zipf.mjs --steady-reads).
 * @param {Extract<AppNodeCommand, { cmd: "warm" }>} m
 */
async function warm(m) {
  const zipf = zipfOf(m.keys, m.s);
  let left = m.reads;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: m.concurrency }, async () => {
      while (left-- > 0) {
        try {
          await get(`key-${zipf.draw(Math.random())}`);
        } catch {
          failed++;
        }
      }
    }),
  );
  return { reads: m.reads, failed, seconds: (performance.now() - t0) / 1000 };
}

process.on("message", (m) => void onMessage(/** @type {AppNodeCommand & { id: number }} */ (m)));
process.on("disconnect", () => process.exit(0));
process.send?.({ id: 0, ready: true, app: `http://127.0.0.1:${/** @type {import("node:net").AddressInfo} */ (server.address()).port}` });
