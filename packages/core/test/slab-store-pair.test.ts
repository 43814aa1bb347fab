import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LruStore } from "../src/cache/lru-store.js";
import { SlabStore } from "../src/cache/slab-store.js";
import { TinyLfuStore } from "../src/cache/tinylfu-store.js";
import { KEYS } from "./helpers/store-model.js";
import { valueFor } from "./helpers/store-values.js";

type Side = "main" | "hot";

const side = fc.constantFrom<Side>("main", "hot");
const key = fc.integer({ min: 0, max: KEYS.length - 1 });
const pairOps = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("add" as const), side, key, length: fc.integer({ min: 0, max: 3000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("remove" as const, "evict" as const), side, key }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("get" as const), key }) },
  ),
  { minLength: 300, maxLength: 1500 },
);

function paired(): { main: SlabStore; hot: SlabStore } {
  const main = new LruStore();
  const hot = new LruStore();
  assert.equal(SlabStore.pair(main, hot), true);
  return { main, hot };
}

describe("SlabStore.pair (a Group's main and hot stores)", () => {
  it("agrees with two LRU models where main wins: a key is in one store at most, getFromPair finds it and counts as main.get ?? hot.get", () => {
    fc.assert(
      fc.property(pairOps, (list) => {
        const { main, hot } = paired();
        // Least recently used first, as in store-model.ts.
        const model = { main: new Map<string, Uint8Array>(), hot: new Map<string, Uint8Array>() };
        const counts = { main: { gets: 0, hits: 0 }, hot: { gets: 0, hits: 0 } };
        const handedOut: [Uint8Array, Uint8Array][] = [];
        let version = 0;
        for (const o of list) {
          const k = KEYS[o.key]!;
          if (o.kind === "add") {
            const value = valueFor(k, ++version, o.length);
            (o.side === "main" ? main : hot).add(k, { value });
            if (o.side === "main") {
              model.hot.delete(k);
              model.main.delete(k);
              model.main.set(k, value.slice());
            } else if (!model.main.has(k)) {
              model.hot.delete(k);
              model.hot.set(k, value.slice());
            }
          } else if (o.kind === "remove") {
            assert.equal((o.side === "main" ? main : hot).remove(k), model[o.side].delete(k));
          } else if (o.kind === "evict") {
            const oldest = model[o.side].keys().next();
            assert.equal((o.side === "main" ? main : hot).evict(), oldest.done !== true);
            if (oldest.done !== true) model[o.side].delete(oldest.value);
          } else {
            const got = SlabStore.getFromPair(main, hot, k);
            counts.main.gets++;
            const where: Side | undefined = model.main.has(k) ? "main" : model.hot.has(k) ? "hot" : undefined;
            if (where !== "main") counts.hot.gets++;
            if (where === undefined) {
              assert.equal(got, undefined, `${JSON.stringify(k)} is in neither store`);
              continue;
            }
            counts[where].hits++;
            const expected = model[where].get(k)!;
            model[where].delete(k);
            model[where].set(k, expected);
            assert.deepEqual(got?.value, expected, `${JSON.stringify(k)} from ${where}`);
            if (got !== undefined) handedOut.push([got.value, expected]);
            // The other store's own get agrees: it does not see the key.
            assert.equal((where === "main" ? hot : main).get(k), undefined);
            counts[where === "main" ? "hot" : "main"].gets++;
          }
          for (const s of ["main", "hot"] as const) {
            const store = s === "main" ? main : hot;
            assert.equal(store.items, model[s].size, `${s} items`);
            assert.deepEqual([...store.keys()], [...model[s].keys()].reverse(), `${s} recency order`);
            const { gets, hits } = store.stats();
            assert.deepEqual({ gets, hits }, counts[s], `${s} counts`);
          }
        }
        for (const [value, expected] of handedOut) assert.deepEqual(value, expected);
      }),
      { numRuns: 25 },
    );
  });

  it("a store forgets only its own handles: main's entry in the slot that hot frees keeps its handle", () => {
    const { main, hot } = paired();
    main.add("m", { value: valueFor("m", 1, 10) });
    hot.add("h", { value: valueFor("h", 1, 10) });
    const fromMain = SlabStore.getFromPair(main, hot, "m");
    const fromHot = SlabStore.getFromPair(main, hot, "h");
    assert.deepEqual(fromHot?.value, valueFor("h", 1, 10));
    assert.equal(main.slabStats().handles, 2, "one cache holds the handles of both");
    hot.remove("h");
    assert.equal(SlabStore.getFromPair(main, hot, "m"), fromMain, "main's handle is still the one handed out");
    assert.equal(SlabStore.getFromPair(main, hot, "h"), undefined);
    assert.equal(hot.slabStats().handles, 1);
  });

  it("hot's entries that its slabs' compaction moved are read at their new place, after heavy churn", () => {
    const { main, hot } = paired();
    for (const length of [100, 5000]) {
      const keys = ["a", "b", "c"].map((k) => `${k}${length}`);
      for (const k of keys) hot.add(k, { value: valueFor(k, length, length) });
      const before = keys.map((k) => SlabStore.getFromPair(main, hot, k));
      for (let i = 0; i < 5000; i++) {
        hot.add(`x${i}`, { value: valueFor(`x${i}`, 1, length) });
        if (i % 3 !== 0) hot.remove(`x${i}`);
      }
      const after = keys.map((k) => SlabStore.getFromPair(main, hot, k));
      for (const [i, k] of keys.entries()) assert.deepEqual(after[i]?.value, valueFor(k, length, length), k);
      // A moved entry's handle (and the old slab it shows) is let go: the read after the move makes a new one.
      assert.ok(
        after.some((entry, i) => entry !== before[i]),
        `the churn moved entries (${hot.slabStats().evacuations} evacuations) and the handles of the moved ones were forgotten`,
      );
    }
  });

  it("pairs only two distinct empty stores not paired yet, and works for W-TinyLFU stores", () => {
    const { main, hot } = paired();
    assert.equal(SlabStore.pair(main, new LruStore()), false);
    const one = new LruStore();
    assert.equal(SlabStore.pair(one, one), false);
    const full = new LruStore();
    full.add("k", { value: new Uint8Array(1) });
    assert.equal(SlabStore.pair(full, new LruStore()), false);
    assert.equal(SlabStore.pair(new LruStore(), hot), false);
    const [lfuMain, lfuHot] = [new TinyLfuStore(), new TinyLfuStore()];
    assert.equal(SlabStore.pair(lfuMain, lfuHot), true);
    lfuHot.add("k", { value: valueFor("k", 1, 5) });
    lfuMain.add("k", { value: valueFor("k", 2, 5) });
    assert.equal(lfuHot.items, 0, "adding to main took the key out of hot");
    assert.deepEqual(SlabStore.getFromPair(lfuMain, lfuHot, "k")?.value, valueFor("k", 2, 5));
  });

  it("clearing one store of a pair keeps the other's entries readable", () => {
    const { main, hot } = paired();
    for (let i = 0; i < 2000; i++) main.add(`m${i}`, { value: valueFor(`m${i}`, 1, 20) });
    for (let i = 0; i < 2000; i++) hot.add(`h${i}`, { value: valueFor(`h${i}`, 1, 20) });
    for (let i = 0; i < 2000; i += 7) SlabStore.getFromPair(main, hot, `m${i}`);
    hot.clear();
    for (let i = 0; i < 2000; i += 7) assert.deepEqual(SlabStore.getFromPair(main, hot, `m${i}`)?.value, valueFor(`m${i}`, 1, 20));
    assert.equal(SlabStore.getFromPair(main, hot, "h0"), undefined);
  });
});
