#!/usr/bin/env node
// Memory: process RSS growth after filling one cache to its configured byte budget, as a ratio of that
// budget (goal <= 1.25x), then after churning through as many keys again (eviction running), then after
// 10 s idle. References measured in the same run with the same keys and values: golang/groupcache filled
// to the same cacheBytes (packages/testing/go/groupcache-memory) and Redis with the same maxmemory and allkeys-lru.
// Every reading follows a full GC (Node gc(), Go FreeOSMemory, Redis MEMORY PURGE). Each cell is the
// median of --reps fresh processes, with min–max. Also: items that fit per MiB of RSS growth, against Redis's.
//   node bench/memory.mjs [--mib 256] [--reps 3] [--sizes 128,1024,16384,262144]
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { fmt, median, procRssBytes, sleep, spread, startRedis, summarize } from "./_lib.mjs";

const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "256" },
    reps: { type: "string", default: "3" },
    sizes: { type: "string", default: "128,1024,16384,262144" },
    child: { type: "string" },
  },
});
const maxBytes = Number(values.mib) * 2 ** 20;
/** @type {(i: number) => string} */
const key = (i) => `user/${i}/avatar.png`;

if (values.child !== undefined) {
  const { createCacheCluster } = await import("../packages/core/dist/src/index.js");
  const valueSize = Number(values.child);
  const cluster = await createCacheCluster({ cache: { port: 0 } });
  const group = cluster.group("mem", { maxBytes, load: () => new Uint8Array(valueSize).fill(7) });
  const gc = /** @type {() => void} */ (globalThis.gc); // --expose-gc
  const settle = async () => {
    gc();
    await sleep(100);
    gc();
    return process.memoryUsage().rss;
  };
  const before = await settle();
  // Fill until the first eviction: the cache is full.
  let i = 0;
  while (group.cacheStats("main").evictions === 0) await group.get(key(i++));
  const full = await settle();
  const main = group.cacheStats("main");
  // Then serve as many new keys again: every miss evicts; memory must stay at the bound.
  for (const end = 2 * i; i < end; i++) await group.get(key(i));
  const churned = await settle();
  // V8 gives heap pages back once allocation calms down (its memory reducer).
  await sleep(10_000);
  const idle = await settle();
  // Reading the group here also keeps it alive until the last reading: V8 collects what a suspended async
  // function no longer uses, and a cache nobody refers to would be freed before it is measured.
  const itemsAfter = group.cacheStats("main").items;
  if (itemsAfter < main.items * 0.9) throw new Error(`the cache lost entries: ${main.items} items when full, ${itemsAfter} at the end`);
  console.log(JSON.stringify({ accounted: main.bytes, items: main.items, growth: full - before, churnGrowth: churned - before, idleGrowth: idle - before }));
  process.exit(0);
}

/**
 * RSS growth in bytes from the empty process: after the fill (`growth`) and after the churn (`churnGrowth`);
 * `items` cached when full.
 * @typedef {{ items: number, growth: number, churnGrowth: number }} Reading
 */
/** @typedef {Reading & { accounted: number, idleGrowth: number }} NodeReading also: RSS growth after 10 s idle (`idleGrowth`), the bytes core counted (`accounted`) */

/**
 * One fresh cachecluster process with `size` B values.
 * @param {number} size
 * @returns {NodeReading}
 */
function nodeRun(size) {
  const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", String(size), "--mib", values.mib], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`cachecluster child for ${size} B failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * One golang/groupcache process with `size` B values.
 * @param {number} size
 * @returns {Promise<Reading>}
 */
async function goRun(size) {
  const { buildGoProgram } = await import("../packages/testing/dist/src/go.js");
  const bin = await buildGoProgram("groupcache-memory");
  return JSON.parse(execFileSync(bin, ["-size", String(size), "-mib", values.mib], { encoding: "utf8" }));
}

/**
 * One fresh redis-server with `size` B values.
 * @param {number} size
 * @returns {Promise<Reading>}
 */
async function redisRun(size) {
  const redis = await startRedis();
  const { Redis } = await import("ioredis");
  const client = new Redis({ host: "127.0.0.1", port: redis.port });
  try {
    await client.config("SET", "maxmemory", String(maxBytes));
    await client.config("SET", "maxmemory-policy", "allkeys-lru");
    const value = Buffer.alloc(size, 7);
    const settle = async () => {
      await client.call("MEMORY", "PURGE");
      await sleep(100);
      return procRssBytes(redis.pid);
    };
    const evicted = async () => {
      const m = /evicted_keys:(\d+)/.exec(await client.info("stats"));
      if (m === null) throw new Error("no evicted_keys in Redis INFO stats");
      return Number(m[1]);
    };
    const before = await settle();
    const batch = size >= 16384 ? 16 : 1000;
    let i = 0;
    /** @param {number} n */
    const write = async (n) => {
      const p = client.pipeline();
      for (let j = 0; j < n; j++) p.set(key(i++), value);
      await p.exec();
    };
    while ((await evicted()) === 0) await write(batch);
    const full = await settle();
    const items = await client.dbsize();
    for (const end = 2 * i; i < end;) await write(Math.min(batch, end - i));
    const churned = await settle();
    return { items, growth: full - before, churnGrowth: churned - before };
  } finally {
    client.disconnect();
    redis.stop();
  }
}

const reps = Number(values.reps);
const sizes = values.sizes.split(",").map(Number);
/** @type {(xs: readonly number[]) => string} */
const ratio = (xs) =>
  spread(
    xs.map((x) => x / maxBytes),
    2,
  );
/** @type {Record<string, Record<string, string>>} */
const afterFill = {};
/** @type {Record<string, Record<string, string>>} */
const afterChurn = {};
for (const size of sizes) {
  /** @type {{ node: NodeReading[], go: Reading[], redis: Reading[] }} */
  const runs = { node: [], go: [], redis: [] };
  for (let r = 0; r < reps; r++) {
    runs.node.push(nodeRun(size));
    runs.go.push(await goRun(size));
    runs.redis.push(await redisRun(size));
  }
  /** @type {(xs: readonly Reading[]) => string} */
  const items = (xs) => spread(xs.map((x) => x.items));
  const label = size >= 1024 ? `${size / 1024} KiB values` : `${size} B values`;
  /** @type {(xs: readonly number[]) => string} */
  const med = (xs) => median(xs.map((x) => x / maxBytes)).toFixed(2);
  /** @type {(xs: readonly Reading[]) => number} */
  const perMiB = (xs) => median(xs.map((x) => x.items / (x.growth / 2 ** 20)));
  const nodePerMiB = perMiB(runs.node);
  const redisPerMiB = perMiB(runs.redis);
  summarize(
    {
      bench: "memory",
      figure: `RSS growth / maxBytes (${values.mib} MiB) after fill, ${label}`,
      cachecluster: med(runs.node.map((x) => x.growth)),
      reference: `Go groupcache ${med(runs.go.map((x) => x.growth))}, Redis ${med(runs.redis.map((x) => x.growth))}`,
      ratio: "-",
      goal: "<= 1.25",
    },
    {
      bench: "memory",
      figure: `RSS growth / maxBytes after churning as many keys again, ${label}`,
      cachecluster: med(runs.node.map((x) => x.churnGrowth)),
      reference: `Go groupcache ${med(runs.go.map((x) => x.churnGrowth))}, Redis ${med(runs.redis.map((x) => x.churnGrowth))}`,
      ratio: "-",
      goal: "<= 1.25",
    },
  );
  if (size <= 1024) {
    summarize({
      bench: "memory",
      figure: `items per MiB of RSS growth after fill, ${label}`,
      cachecluster: fmt(nodePerMiB),
      reference: `Redis ${fmt(redisPerMiB)}`,
      ratio: `${(nodePerMiB / redisPerMiB).toFixed(2)}x`,
      goal: ">= 1.0x",
    });
  }
  afterFill[label] = {
    cachecluster: ratio(runs.node.map((x) => x.growth)),
    "Go groupcache": ratio(runs.go.map((x) => x.growth)),
    Redis: ratio(runs.redis.map((x) => x.growth)),
    "items: cachecluster": items(runs.node),
    Go: items(runs.go),
    "Redis ": items(runs.redis),
    "items/MiB: cachecluster": fmt(nodePerMiB),
    "Redis  ": fmt(redisPerMiB),
  };
  afterChurn[label] = {
    cachecluster: ratio(runs.node.map((x) => x.churnGrowth)),
    "Go groupcache": ratio(runs.go.map((x) => x.churnGrowth)),
    Redis: ratio(runs.redis.map((x) => x.churnGrowth)),
    "cachecluster, then 10 s idle": ratio(runs.node.map((x) => x.idleGrowth)),
  };
}
console.log(
  `memory: RSS growth / configured ${values.mib} MiB right after filling one cache (goal for cachecluster: <= 1.25), median (min–max) of ${reps} processes; items that fit`,
);
console.table(afterFill);
console.log("memory: RSS growth / configured after churning through as many new keys again (every miss evicts)");
console.table(afterChurn);
