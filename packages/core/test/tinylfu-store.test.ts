import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LruStore } from "../src/cache/lru-store.js";
import { TinyLfuStore } from "../src/cache/tinylfu-store.js";
import { checkAgainstModel, ops } from "./helpers/store-model.js";
import { hitRatio, seeded, zipf } from "./helpers/workloads.js";

/** Fixed-width keys, so that with entryOverhead 0 and empty values every entry counts the same bytes. */
const key = (i: number): string => `k${String(i).padStart(6, "0")}`;
const ENTRY = key(0).length;

function* zipfKeys(n: number, s: number, requests: number, seed: number): Generator<string> {
  const rank = zipf(n, s, seeded(seed));
  for (let i = 0; i < requests; i++) yield key(rank());
}

describe("TinyLfuStore", () => {
  it("agrees with a model under any mix of operations, its segments always adding up to its bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 20_000 }), ops, (capacity, list) => {
        const store = new TinyLfuStore({ capacity });
        checkAgainstModel(store, list, "policy", () => {
          const s = store.segments();
          assert.equal(s.window + s.probation + s.protected, store.bytes);
        });
      }),
      { numRuns: 30 },
    );
  });

  it("hits more often than LRU on skewed traffic: zipf 0.9 over 5,000 keys with room for 250", () => {
    const budget = 250 * ENTRY;
    const lru = hitRatio(new LruStore({ entryOverhead: 0 }), zipfKeys(5000, 0.9, 100_000, 1), budget);
    const tiny = hitRatio(new TinyLfuStore({ entryOverhead: 0, maxBytes: budget }), zipfKeys(5000, 0.9, 100_000, 1), budget);
    assert.ok(tiny > lru + 0.05, `W-TinyLFU ${tiny.toFixed(3)}, LRU ${lru.toFixed(3)}`);
  });

  it("keeps keys read often through a scan of keys read once", () => {
    const budget = 1000 * ENTRY;
    const store = new TinyLfuStore({ entryOverhead: 0, maxBytes: budget });
    const hot = Array.from({ length: 500 }, (_, i) => key(i));
    const scan = Array.from({ length: 20_000 }, (_, i) => key(100_000 + i));
    hitRatio(store, [...hot, ...hot, ...hot, ...hot], budget);
    hitRatio(store, scan, budget);
    const kept = hot.filter((k) => store.get(k) !== undefined).length;
    assert.ok(kept >= 450, `${kept} of 500 hot keys kept`);
  });

  it("grows its window towards LRU when recency pays (each key read a few times soon after it first appears, then never)", () => {
    const budget = 2000 * ENTRY;
    const store = new TinyLfuStore({ entryOverhead: 0, maxBytes: budget });
    const random = seeded(7);
    function* recent(): Generator<string> {
      // A new key every other request; the others read one of the last 1,500 keys.
      for (let i = 0; i < 400_000; i++) yield key(i % 2 === 0 ? i / 2 : Math.max(0, Math.floor(i / 2) - Math.floor(random() * 1500)));
    }
    const tiny = hitRatio(store, recent(), budget);
    assert.ok(store.segments().windowMax > budget / 2, `window limit ${store.segments().windowMax} of ${budget}`);
    const random2 = seeded(7);
    function* again(): Generator<string> {
      for (let i = 0; i < 400_000; i++) yield key(i % 2 === 0 ? i / 2 : Math.max(0, Math.floor(i / 2) - Math.floor(random2() * 1500)));
    }
    const lru = hitRatio(new LruStore({ entryOverhead: 0 }), again(), budget);
    assert.ok(tiny > lru - 0.02, `W-TinyLFU ${tiny.toFixed(3)}, LRU ${lru.toFixed(3)}`);
  });

  it("keeps a small window on skewed traffic", () => {
    const budget = 1000 * ENTRY;
    const store = new TinyLfuStore({ entryOverhead: 0, maxBytes: budget });
    hitRatio(store, zipfKeys(20_000, 1.0, 200_000, 3), budget);
    assert.ok(store.segments().windowMax < budget / 4, `window limit ${store.segments().windowMax} of ${budget}`);
  });

  it("applies hits recorded in its read buffer before it answers for its order", () => {
    const store = new TinyLfuStore({ entryOverhead: 0, maxBytes: 100 * ENTRY });
    for (let i = 0; i < 100; i++) store.add(key(i), { value: new Uint8Array(0) });
    assert.notEqual([...store.keys()][0], key(0));
    // One hit: buffered, far from filling the buffer; keys() drains it, and key 0 (in probation) is now protected.
    assert.ok(store.get(key(0)) !== undefined);
    assert.equal([...store.keys()][0], key(0));
  });

  it("sizes its sketch from the first entry, for the entries its capacity holds at the average size seen, and resizes it as that changes", () => {
    // 7-byte entries, room for 100: 128 entries' worth of sketch (16 bytes of counters and 1 of doorkeeper each).
    const small = new TinyLfuStore({ entryOverhead: 0, maxBytes: 100 * ENTRY });
    small.add(key(0), { value: new Uint8Array(0) });
    assert.equal(small.segments().sketchBytes, 128 * 17);
    // 107-byte entries in 1 MB: about 9,300 entries, sized as the store fills (at most 16 times the entries held).
    const big = new TinyLfuStore({ entryOverhead: 0, maxBytes: 1_000_000 });
    big.add(key(0), { value: new Uint8Array(100) });
    assert.equal(big.segments().sketchBytes, 1024 * 17);
    for (let i = 1; i < 1000; i++) big.add(key(i), { value: new Uint8Array(100) });
    assert.equal(big.segments().sketchBytes, 16_384 * 17);
    // Entries ten times larger: about 990 fit, so the sketch shrinks (at the next new entry).
    for (let i = 0; i < 1000; i++) big.add(key(i), { value: new Uint8Array(1000) });
    big.add(key(1000), { value: new Uint8Array(1000) });
    assert.equal(big.segments().sketchBytes, 1024 * 17);
  });

  it("counts its sketch in every entry, and rejects a bad capacity", () => {
    const lru = new LruStore();
    const tiny = new TinyLfuStore();
    lru.add("k", { value: new Uint8Array(100) });
    tiny.add("k", { value: new Uint8Array(100) });
    assert.equal(tiny.bytes - lru.bytes, 24);
    assert.throws(() => new TinyLfuStore({ capacity: 0 }), /expected capacity to be a positive integer, got 0/);
  });
});
