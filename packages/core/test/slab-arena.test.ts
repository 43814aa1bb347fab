import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LruStore } from "../src/cache/lru-store.js";
import { SLAB_BYTES } from "../src/cache/size-classes.js";
import { valueFor } from "./helpers/store-values.js";

describe("SlabArena", () => {
  it("reuses the slabs LRU churn empties when no view of them was handed out: no new slab after the first round", () => {
    const store = new LruStore();
    let n = 0;
    const churn = (count: number): void => {
      for (let i = 0; i < count; i++) {
        store.add(`key-${n++}`, { value: valueFor("v", n, 128) });
        while (store.items > 20_000) store.evict();
      }
    };
    churn(40_000);
    const before = store.slabStats();
    churn(100_000);
    const after = store.slabStats();
    assert.ok(after.reused - before.reused > 100, `${after.reused - before.reused} slabs reused`);
    assert.ok(after.slabs <= before.slabs + 2, `${before.slabs} slabs, then ${after.slabs}`);
  });

  it("never reuses a slab a view was handed out from, however much churn follows", () => {
    const store = new LruStore();
    store.add("held", { value: valueFor("held", 1, 128) });
    const held = store.get("held")!.value;
    store.remove("held");
    for (let i = 0; i < 50_000; i++) {
      store.add(`key-${i}`, { value: valueFor("v", i, 128) });
      while (store.items > 1000) store.evict();
    }
    assert.deepEqual(held, valueFor("held", 1, 128));
  });

  it("copies the live entries out of old slabs that hot entries keep alive, so churn does not grow the slabs", () => {
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
        while (store.items > 20_000) store.evict();
      }
      for (const key of hot) assert.ok(store.get(key) !== undefined, `${key} stayed`);
      const { allocatedBytes, liveBytes } = store.slabStats();
      assert.ok(allocatedBytes <= liveBytes * 1.125 + 3 * SLAB_BYTES, `round ${round}: ${allocatedBytes} B of slabs for ${liveBytes} B`);
    }
    assert.ok(store.slabStats().evacuations > 0);
  });
});
