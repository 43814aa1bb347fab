import assert from "node:assert/strict";
import fc from "fast-check";
import { SLAB_CLASS_BYTES } from "../../src/cache/size-classes.js";
import type { SlabStore } from "../../src/cache/slab-store.js";
import { valueFor } from "./store-values.js";

export const KEYS = ["", "é", "日本/語", "k", ...Array.from({ length: 120 }, (_, i) => `key/${i}`)];

export type Op = { kind: "add"; key: number; length: number } | { kind: "remove"; key: number } | { kind: "evict" } | { kind: "get"; key: number };

const key = fc.integer({ min: 0, max: KEYS.length - 1 });
export const ops = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("add" as const),
        key,
        length: fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }) },
          { weight: 2, arbitrary: fc.integer({ min: 0, max: 6000 }) },
          { weight: 1, arbitrary: fc.integer({ min: 30_000, max: 40_000 }) },
        ),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), key }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("evict" as const) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("get" as const), key }) },
  ),
  { minLength: 500, maxLength: 2500 },
);

/** Dead slab bytes stay within 1/3 of the live ones (no slab left that is 1/4 dead) plus three slabs of each class. */
export function assertBounded(store: SlabStore): void {
  const { allocatedBytes, liveBytes } = store.slabStats();
  const slack = SLAB_CLASS_BYTES.reduce((sum, bytes) => sum + 3 * bytes, 0);
  assert.ok(allocatedBytes <= (liveBytes * 4) / 3 + slack, `slabs hold ${allocatedBytes} B for ${liveBytes} B of entries`);
}

/**
 * Runs `ops` on `store` and on a model (a Map in recency order, least recently used first) and checks after each
 * step that they agree: values, items, bytes, the eviction order; at the end, that every value handed out still
 * shows what it showed.
 */
export function checkAgainstModel(store: SlabStore, list: readonly Op[], order: "lru" | "policy", check: () => void = () => {}): void {
  const model = new Map<string, Uint8Array>();
  const handedOut: [Uint8Array, Uint8Array][] = [];
  const use = (k: string): void => {
    const v = model.get(k);
    if (v === undefined) return;
    model.delete(k);
    model.set(k, v);
  };
  let version = 0;
  for (const o of list) {
    if (o.kind === "add") {
      const k = KEYS[o.key]!;
      const value = valueFor(k, ++version, o.length);
      store.add(k, { value });
      model.delete(k);
      model.set(k, value.slice());
      // The store copies: the caller's buffer is the caller's again.
      value.fill(0);
    } else if (o.kind === "remove") {
      const k = KEYS[o.key]!;
      assert.equal(store.remove(k), model.delete(k));
    } else if (o.kind === "evict") {
      const before = new Set(model.keys());
      assert.equal(store.evict(), before.size > 0);
      if (order === "lru") {
        const oldest = model.keys().next();
        if (oldest.done !== true) model.delete(oldest.value);
      } else {
        // Whichever entry the policy chose: exactly one of the model's keys is gone.
        const gone = [...before].filter((k) => !hasKey(store, k));
        assert.equal(gone.length, before.size > 0 ? 1 : 0, `evict removed ${JSON.stringify(gone)}`);
        for (const k of gone) model.delete(k);
      }
    } else {
      const k = KEYS[o.key]!;
      const got = store.get(k)?.value;
      const want = model.get(k);
      assert.deepEqual(got, want);
      use(k);
      if (got !== undefined && want !== undefined) handedOut.push([got, want]);
    }
    assert.equal(store.items, model.size);
    let bytes = 0;
    for (const [k, v] of model) bytes += store.countedBytes(k, v.byteLength);
    assert.equal(store.bytes, bytes, "bytes are the sum of the entries' counted bytes");
    check();
  }
  if (order === "lru") assert.deepEqual([...store.keys()], [...model.keys()].reverse(), "keys() lists the entries from the most to the least recently used");
  else assert.deepEqual(new Set(store.keys()), new Set(model.keys()));
  for (const [k, want] of model) assert.deepEqual(store.get(k)?.value, want);
  for (const [got, want] of handedOut) assert.deepEqual(got, want, "a value handed out still shows what it showed");
  assertBounded(store);
}

/** Whether the store holds the key, without counting it as a use (keys() does not reorder). */
function hasKey(store: SlabStore, key: string): boolean {
  for (const k of store.keys()) if (k === key) return true;
  return false;
}
