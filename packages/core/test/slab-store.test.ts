import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LruStore } from "../src/index.js";
import { SLAB_BYTES, SLAB_VALUE_LIMIT } from "../src/cache/slab-arena.js";

/** Bytes whose content says which key and version they belong to, so a mix-up cannot go unnoticed. */
function valueFor(key: string, version: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let h = version * 2654435761;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  for (let i = 0; i < length; i++) {
    h = Math.imul(h ^ i, 16777619);
    out[i] = h >>> 24;
  }
  return out;
}

/** The slab bound: dead bytes at most 1/3 of the live ones (no slab left that is 1/4 dead) plus slack. */
function assertBounded(store: LruStore): void {
  const { allocatedBytes, liveBytes } = store.slabStats();
  assert.ok(allocatedBytes <= (liveBytes * 4) / 3 + 3 * SLAB_BYTES, `slabs hold ${allocatedBytes} B for ${liveBytes} B of values`);
}

describe("LruStore slabs", () => {
  it("keeps every value intact through any mix of adds, replaces, removes and evictions, within the slab bound", () => {
    const op = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant("add" as const),
          key: fc.integer({ min: 0, max: 300 }),
          length: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 6000 })),
        }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), key: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("evict" as const) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("get" as const), key: fc.integer({ min: 0, max: 300 }) }) },
    );
    let evacuations = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1000, maxLength: 4000 }), (ops) => {
        const store = new LruStore();
        const model = new Map<string, Uint8Array>();
        const handedOut: [Uint8Array, Uint8Array][] = [];
        let version = 0;
        for (const o of ops) {
          if (o.kind === "add") {
            const key = `k${o.key}`;
            const value = valueFor(key, ++version, o.length);
            store.add(key, { value });
            model.set(key, value.slice());
            // A small value is copied into a slab: the caller's bytes stay its own. (A large one that owns
            // its buffer is taken over without a copy, as documented.)
            if (o.length <= SLAB_VALUE_LIMIT) value.fill(0);
          } else if (o.kind === "remove") {
            assert.equal(store.remove(`k${o.key}`), model.delete(`k${o.key}`));
          } else if (o.kind === "evict") {
            const oldest = [...store.keys()].at(-1);
            assert.equal(store.removeOldest(), oldest !== undefined);
            if (oldest !== undefined) model.delete(oldest);
          } else {
            const got = store.get(`k${o.key}`)?.value;
            const want = model.get(`k${o.key}`);
            assert.deepEqual(got, want);
            if (got !== undefined && want !== undefined) handedOut.push([got, want]);
          }
          assert.equal(store.items, model.size);
        }
        for (const [key, want] of model) assert.deepEqual(store.get(key)?.value, want);
        // Views handed out earlier still show what they showed, whatever moved or was removed since.
        for (const [got, want] of handedOut) assert.deepEqual(got, want);
        assertBounded(store);
        evacuations += store.slabStats().evacuations;
      }),
      { numRuns: 40 },
    );
    assert.ok(evacuations > 0, "the runs copied values out of old slabs at least once");
  });

  it("copies the live values out of old slabs that hot entries keep alive, so churn does not grow the slabs", () => {
    const store = new LruStore();
    const hot: string[] = [];
    let n = 0;
    const add = (): string => {
      const key = `key-${n++}`;
      store.add(key, { value: valueFor(key, 1, 128) });
      return key;
    };
    for (let i = 0; i < 20_000; i++) if (add().endsWith("7")) hot.push(`key-${n - 1}`);
    // LRU churn where every tenth key stays hot (each is read every 2,000 adds, well within the 20,000 kept):
    // without copying, every old slab would stay, kept by the 1/10 of its bytes that are hot.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20_000; i++) {
        store.get(hot[i % hot.length]!);
        add();
        while (store.items > 20_000) store.removeOldest();
      }
      for (const key of hot) assert.ok(store.get(key) !== undefined, `${key} stayed`);
      assertBounded(store);
      const { allocatedBytes, liveBytes } = store.slabStats();
      assert.ok(allocatedBytes <= liveBytes * 1.125 + 2 * SLAB_BYTES, `round ${round}: ${allocatedBytes} B of slabs for ${liveBytes} B`);
    }
    assert.ok(store.slabStats().evacuations > 0);
  });

  it("an entry taken before its removal or eviction still reads its bytes", () => {
    const store = new LruStore();
    for (const length of [100, SLAB_VALUE_LIMIT + 100]) {
      const entries = ["a", "b", "c"].map((key) => {
        store.add(key, { value: valueFor(key, length, length) });
        return store.get(key)!;
      });
      store.remove("a");
      store.removeOldest();
      store.add("c", { value: valueFor("c", 0, 7) });
      // Churn enough for old slabs to be dropped or copied out.
      for (let i = 0; i < 5000; i++) {
        store.add(`x${i}`, { value: valueFor(`x${i}`, 1, 300) });
        if (i % 3 !== 0) store.remove(`x${i}`);
      }
      // A replaced key's entry is the live entry: it reads the new value.
      assert.deepEqual(
        entries.map((e) => e.value),
        [valueFor("a", length, length), valueFor("b", length, length), valueFor("c", 0, 7)],
      );
      assert.deepEqual(store.get("c")?.value, valueFor("c", 0, 7));
      store.clear();
    }
  });

  it("keeps values above the slab limit, and every value when slabs are off, in buffers of their own", () => {
    const big = valueFor("big", 1, SLAB_VALUE_LIMIT + 1);
    const store = new LruStore();
    store.add("big", { value: big });
    assert.equal(store.get("big")?.value, big);
    assert.equal(store.slabStats().slabs, 0);
    const off = new LruStore({ slabValueLimit: 0 });
    const small = valueFor("small", 1, 10);
    off.add("small", { value: small });
    assert.equal(off.get("small")?.value, small);
    assert.equal(off.slabStats().slabs, 0);
  });

  it("counts a slab value's share of slab slack in its bytes, and exactly key + value with entryOverhead 0", () => {
    const store = new LruStore();
    store.add("k", { value: new Uint8Array(1024) });
    const golang = new LruStore({ entryOverhead: 0 });
    golang.add("k", { value: new Uint8Array(1024) });
    assert.equal(golang.bytes, 1 + 1024);
    assert.ok(store.bytes >= 1 + 1024 + 1024 / 8, `${store.bytes}`);
  });

  it("rejects bad options with a clear error", () => {
    assert.throws(() => new LruStore({ slabValueLimit: SLAB_VALUE_LIMIT + 1 }), /expected slabValueLimit to be an integer from 0 to 2048, got 2049/);
    assert.throws(() => new LruStore({ entryOverhead: -1 }), /expected entryOverhead to be a non-negative integer, got -1/);
  });
});
