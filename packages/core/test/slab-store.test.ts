import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LruStore } from "../src/cache/lru-store.js";
import { checkAgainstModel, ops } from "./helpers/store-model.js";
import { valueFor } from "./helpers/store-values.js";

describe("SlabStore (as LruStore)", () => {
  it("agrees with a model under any mix of adds, replaces, removes, evictions and gets; values handed out never change", () => {
    fc.assert(
      fc.property(ops, (list) => checkAgainstModel(new LruStore(), list, "lru")),
      { numRuns: 30 },
    );
  });

  it("does the same with only the smallest slabs (a 1 MiB budget), larger entries in buffers of their own", () => {
    fc.assert(
      fc.property(ops, (list) => checkAgainstModel(new LruStore({ maxBytes: 2 ** 20 }), list, "lru")),
      { numRuns: 15 },
    );
  });

  it("does the same with every entry in a buffer of its own (slabValueLimit 0)", () => {
    fc.assert(
      fc.property(ops, (list) => checkAgainstModel(new LruStore({ slabValueLimit: 0 }), list, "lru")),
      { numRuns: 10 },
    );
  });

  it("returns the same entry object for repeated hits on an unchanged entry, and a new one with the new bytes after a replace", () => {
    const store = new LruStore();
    store.add("k", { value: valueFor("k", 1, 100) });
    const first = store.get("k");
    assert.equal(store.get("k"), first);
    store.add("k", { value: valueFor("k", 2, 100) });
    const second = store.get("k");
    assert.notEqual(second, first);
    assert.deepEqual(second?.value, valueFor("k", 2, 100));
    assert.deepEqual(first?.value, valueFor("k", 1, 100), "the earlier entry still reads its bytes");
  });

  it("an entry read before it was removed, evicted or replaced still reads its bytes after heavy churn", () => {
    const store = new LruStore();
    for (const length of [100, 5000, 40_000]) {
      const entries = ["a", "b", "c"].map((k) => {
        store.add(k, { value: valueFor(k, length, length) });
        return store.get(k)!;
      });
      store.remove("a");
      store.evict();
      store.add("c", { value: valueFor("c", 0, 7) });
      // Enough churn for old slabs to be dropped or copied out.
      for (let i = 0; i < 5000; i++) {
        store.add(`x${i}`, { value: valueFor(`x${i}`, 1, 300) });
        if (i % 3 !== 0) store.remove(`x${i}`);
      }
      assert.deepEqual(
        entries.map((e) => e.value),
        [valueFor("a", length, length), valueFor("b", length, length), valueFor("c", length, length)],
      );
      assert.deepEqual(store.get("c")?.value, valueFor("c", 0, 7));
      store.clear();
    }
  });

  it("keeps the V8 objects it makes for hits bounded (one per 8 entries at most), however many entries are read", () => {
    const store = new LruStore();
    const n = 50_000;
    for (let i = 0; i < n; i++) store.add(`k${i}`, { value: valueFor("v", i, 16) });
    for (let i = 0; i < n; i++) store.get(`k${i}`);
    const { handles } = store.slabStats();
    assert.ok(handles <= n / 4, `${handles} handles for ${n} entries`);
  });

  it("a handle read again keeps its place against the tail's one-off reads, which get handles of their own; a key read twice in a row takes a cold place", () => {
    const store = new LruStore();
    const n = 4096;
    for (let i = 0; i < n; i++) store.add(`k${i}`, { value: valueFor("v", i, 16) });
    const hot = store.get("k7");
    assert.equal(store.get("k7"), hot, "a second read returns the same handle");
    // Every other key read once, k7 now and then: the one-off reads that fall on k7's place in the handle cache
    // do not take it, and each still gets a correct entry.
    for (let i = 0; i < n; i++) {
      if (i !== 7) assert.deepEqual(store.get(`k${i}`)?.value, valueFor("v", i, 16));
      if (i % 64 === 0) assert.equal(store.get("k7"), hot);
    }
    assert.equal(store.get("k7"), hot);
    const { handles } = store.slabStats();
    assert.ok(handles > 0 && handles <= n / 4, `${handles} handles`);
    // Once k7 is no longer read, newcomers spend its heat, but one read once still does not take its place...
    for (let round = 0; round < 2; round++) for (let i = 0; i < n; i++) if (i !== 7) store.get(`k${i}`);
    assert.equal(store.get("k7"), hot);
    // ...one read twice with no other newcomer in between does.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < n; i++) {
        if (i === 7) continue;
        store.get(`k${i}`);
        store.get(`k${i}`);
      }
    }
    assert.notEqual(store.get("k7"), hot);
    assert.deepEqual(store.get("k7")?.value, valueFor("v", 7, 16));
  });

  it("counts a slab entry's share of slab slack, and exactly key + value with entryOverhead 0", () => {
    const store = new LruStore();
    store.add("k", { value: new Uint8Array(1024) });
    assert.ok(store.bytes >= 1 + 1024 + 1025 / 8, `${store.bytes}`);
    const golang = new LruStore({ entryOverhead: 0 });
    golang.add("k", { value: new Uint8Array(1024) });
    golang.add("é", { value: new Uint8Array(0) });
    assert.equal(golang.bytes, 1 + 1024 + 2);
  });

  it("rejects bad options and entries with a clear error", () => {
    assert.throws(() => new LruStore({ slabValueLimit: 32 * 1024 + 1 }), /expected slabValueLimit to be an integer from 0 to 32768, got 32769/);
    assert.throws(() => new LruStore({ entryOverhead: -1 }), /expected entryOverhead to be a non-negative integer, got -1/);
    assert.throws(() => new LruStore({ maxBytes: 1.5 }), /expected maxBytes to be a non-negative integer, got 1.5/);
    assert.throws(() => new LruStore().add("k", { value: "v" as unknown as Uint8Array }), /expected entry.value to be a Uint8Array, got string/);
  });
});
