#!/usr/bin/env node
// What one cache entry really costs on this Node: RSS, V8 heap and ArrayBuffer bytes per entry of an
// LruStore, beyond its key and value bytes. Backs core's DEFAULT_ENTRY_OVERHEAD (the bytes counted per
// entry on top of key + value so that maxBytes bounds the process's memory). Fresh process per size.
//   node bench/entry-overhead.mjs
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const N = 100_000;
if (process.argv[2] === "--child") {
  const { LruStore, DEFAULT_ENTRY_OVERHEAD } = await import("../packages/core/dist/src/index.js");
  const size = Number(process.argv[3]);
  const store = new LruStore({ entryOverhead: 0 });
  const settle = async () => {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 50));
    globalThis.gc();
    return process.memoryUsage();
  };
  const m0 = await settle();
  for (let i = 0; i < N; i++) store.add(`user/${i}/avatar.png`, { value: new Uint8Array(size).fill(7) });
  const m1 = await settle();
  const per = (k) => (m1[k] - m0[k]) / N;
  console.log(JSON.stringify({ size, rss: per("rss"), heapUsed: per("heapUsed"), heapTotal: per("heapTotal"), keyValue: store.bytes / N, overhead: DEFAULT_ENTRY_OVERHEAD, items: store.items }));
  process.exit(0);
}

const rows = {};
let constant = 0;
for (const size of [64, 128, 1024, 4096, 16384]) {
  const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", String(size)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const m = JSON.parse(r.stdout);
  constant = m.overhead;
  rows[`${size} B values`] = {
    "key+value B": Math.round(m.keyValue),
    "RSS B/entry": Math.round(m.rss),
    "RSS beyond key+value": Math.round(m.rss - m.keyValue),
    "V8 heap used B/entry": Math.round(m.heapUsed),
    "V8 heap total B/entry": Math.round(m.heapTotal),
  };
}
console.log(`cost of one LruStore entry, ${N} entries per size (core counts key + value + ${constant} B per entry)`);
console.table(rows);
