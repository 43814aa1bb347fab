#!/usr/bin/env node
// Memory: process RSS growth after filling a group to its configured byte budget, as a ratio of that
// budget (goal <= 1.25x). Runs each value size in a fresh child process with --expose-gc.
//   node bench/memory.mjs [--mib 256]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { mib: { type: "string", default: "256" }, child: { type: "string" } } });

if (values.child !== undefined) {
  const { createCacheCluster } = await import("../packages/core/dist/src/index.js");
  const valueSize = Number(values.child);
  const maxBytes = Number(values.mib) * 1024 * 1024;
  const cluster = await createCacheCluster({ cache: { port: 0 } });
  const group = cluster.group("mem", { maxBytes, load: () => new Uint8Array(valueSize).fill(7) });
  globalThis.gc();
  const before = process.memoryUsage().rss;
  const settle = async () => {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 100));
    globalThis.gc();
    return process.memoryUsage().rss;
  };
  // Fill until the first eviction: the cache is full.
  let i = 0;
  while (group.cacheStats("main").evictions === 0) await group.get(`user/${i++}/avatar.png`);
  const full = await settle();
  const main = group.cacheStats("main");
  // V8 gives heap pages back once allocation calms down (its memory reducer): the steady state of a
  // full cache between bursts.
  await new Promise((r) => setTimeout(r, 10_000));
  const idle = await settle();
  // Then churn through as many keys again: eviction runs, memory must stay at the bound.
  for (const end = 2 * i; i < end; i++) await group.get(`user/${i}/avatar.png`);
  const churned = await settle();
  console.log(JSON.stringify({ valueSize, maxBytes, accounted: main.bytes, items: main.items, growth: full - before, idleGrowth: idle - before, churnGrowth: churned - before }));
  process.exit(0);
}

const rows = {};
for (const size of [128, 1024, 16 * 1024, 256 * 1024]) {
  const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", String(size), "--mib", values.mib], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const m = JSON.parse(r.stdout);
  rows[`${size} B values`] = {
    "configured MiB": +(m.maxBytes / 2 ** 20).toFixed(0),
    "accounted MiB": +(m.accounted / 2 ** 20).toFixed(1),
    items: m.items,
    "RSS growth MiB (full)": +(m.growth / 2 ** 20).toFixed(1),
    "full / configured": +(m.growth / m.maxBytes).toFixed(2),
    "full, 10 s idle / configured": +(m.idleGrowth / m.maxBytes).toFixed(2),
    "after 2x churn / configured": +(m.churnGrowth / m.maxBytes).toFixed(2),
  };
}
console.log("memory: RSS growth after filling one group to its budget (right after, and after 10 s idle), and after churning as many keys again (goal: full / configured <= 1.25)");
console.table(rows);
