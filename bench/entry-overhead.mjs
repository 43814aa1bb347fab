#!/usr/bin/env node
// What one cache entry really costs on this Node: RSS and V8 heap bytes per entry of an LruStore, beyond
// its key and value bytes, next to what core counts for it (SLAB_ENTRY_OVERHEAD + 1/8 of key + value for
// entries in slabs, OWN_BUFFER_ENTRY_OVERHEAD for entries with a buffer of their own): those constants come
// from here. Fresh process per size; every value is read once after it is added, as a cache's values are.
//   node bench/entry-overhead.mjs
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { summarize } from "./_lib.mjs";

// Entries added between the two readings: enough that RSS noise (a few MB) is small per entry.
/** @type {(size: number) => number} */
const entriesFor = (size) => Math.max(10_000, Math.min(400_000, Math.floor(2 ** 27 / (size + 100))));
if (process.argv[2] === "--child") {
  const { LruStore } = await import("../packages/core/dist/src/index.js");
  const size = Number(process.argv[3]);
  const N = entriesFor(size);
  const store = new LruStore();
  const gc = /** @type {() => void} */ (globalThis.gc); // --expose-gc
  const settle = async () => {
    gc();
    await new Promise((r) => setTimeout(r, 50));
    gc();
    return process.memoryUsage();
  };
  // Marginal cost between N and 2N entries: one-time costs (the young generation growing to its full
  // size, the first slab, code) fall out.
  let i = 0;
  /** @param {number} n */
  const fill = (n) => {
    for (const end = i + n; i < end; i++) {
      const key = `user/${i}/avatar.png`;
      store.add(key, { value: new Uint8Array(size).fill(7) });
      void store.get(key)?.value;
    }
  };
  fill(N);
  const m0 = await settle();
  fill(N);
  const m1 = await settle();
  /** @param {"rss" | "heapUsed" | "heapTotal"} k */
  const per = (k) => (m1[k] - m0[k]) / N;
  const keyValue = size + Buffer.byteLength("user/150000/avatar.png");
  console.log(
    JSON.stringify({
      size,
      rss: per("rss"),
      heapUsed: per("heapUsed"),
      heapTotal: per("heapTotal"),
      keyValue,
      counted: store.bytes / (2 * N),
      where: store.slabStats().slabs < store.items ? "slab" : "own buffer",
      items: store.items,
    }),
  );
  process.exit(0);
}

/** @type {Record<string, Record<string, string | number>>} */
const rows = {};
for (const size of [64, 128, 1024, 2048, 4096, 16384, 65536]) {
  const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", String(size)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const m = JSON.parse(r.stdout);
  if (size === 128 || size === 1024 || size === 65536) {
    summarize({
      bench: "entry-overhead",
      figure: `RSS per ${size} B entry beyond key + value (${m.where}), B`,
      cachecluster: String(Math.round(m.rss - m.keyValue)),
      reference: `counted by core ${Math.round(m.counted - m.keyValue)}`,
      ratio: `${((m.rss - m.keyValue) / (m.counted - m.keyValue)).toFixed(2)}x`,
      goal: "<= ~1x",
    });
  }
  rows[`${size} B values`] = {
    where: m.where,
    "key+value B": Math.round(m.keyValue),
    "RSS B/entry": Math.round(m.rss),
    "RSS beyond key+value": Math.round(m.rss - m.keyValue),
    "counted beyond key+value": Math.round(m.counted - m.keyValue),
    "V8 heap used B/entry": Math.round(m.heapUsed),
  };
}
console.log("marginal cost of one LruStore entry (from N to 2N entries, N = 128 MiB / entry, 10,000 to 400,000), against what core counts for it");
console.table(rows);
