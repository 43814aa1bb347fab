/// <reference types="node" preserve="true" />
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Store } from "@cachecluster/core";

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

export interface StoreComplianceOptions {
  /** The store evicts the least recently used entry first (checks that order too). */
  readonly lru?: boolean;
}

/**
 * Behaviour every `Store` must have. Run it from an implementation's tests:
 * `storeCompliance("LruStore", () => new LruStore(), { lru: true })`.
 */
export function storeCompliance(name: string, create: () => Store, options: StoreComplianceOptions = {}): void {
  describe(`Store compliance: ${name}`, () => {
    it("returns what was added and misses what was not", () => {
      const s = create();
      s.add("a", { value: bytes(3) });
      assert.deepEqual(s.get("a")?.value, bytes(3));
      assert.equal(s.get("b"), undefined);
      assert.equal(s.items, 1);
    });

    it("accounts bytes of key and value, and gives them back on remove", () => {
      const s = create();
      s.add("key", { value: bytes(100) });
      const one = s.bytes;
      assert.ok(one >= 103, `bytes ${one} < key + value`);
      s.add("other", { value: bytes(10) });
      assert.ok(s.bytes > one);
      assert.equal(s.remove("other"), true);
      assert.equal(s.bytes, one);
      assert.equal(s.remove("other"), false);
      s.remove("key");
      assert.equal(s.bytes, 0);
      assert.equal(s.items, 0);
    });

    it("counts UTF-8 bytes of non-ASCII keys", () => {
      const a = create();
      const b = create();
      a.add("aa", { value: bytes(0) });
      b.add("é", { value: bytes(0) }); // 2 bytes in UTF-8
      assert.equal(a.bytes, b.bytes);
    });

    it("replacing a key updates the bytes and keeps one item", () => {
      const s = create();
      s.add("k", { value: bytes(10) });
      s.add("k", { value: bytes(30) });
      const fresh = create();
      fresh.add("k", { value: bytes(30) });
      assert.equal(s.bytes, fresh.bytes, "accounted as if the new value had been added alone");
      assert.equal(s.items, 1);
      assert.deepEqual(s.get("k")?.value, bytes(30));
    });

    it("evict removes one entry and gives back its bytes, until the store is empty", () => {
      const s = create();
      for (const k of ["a", "b", "c"]) s.add(k, { value: bytes(10) });
      const one = create();
      one.add("a", { value: bytes(10) });
      for (let left = 2; left >= 0; left--) {
        assert.equal(s.evict(), true);
        assert.equal(s.items, left);
        assert.equal(s.bytes, left * one.bytes);
        assert.equal(["a", "b", "c"].filter((k) => s.get(k) !== undefined).length, left);
      }
      assert.equal(s.evict(), false);
      assert.equal(s.stats().evictions, 3);
    });

    if (options.lru === true) {
      it("evicts the least recently used entry first, a get counting as a use", () => {
        const s = create();
        for (const k of ["a", "b", "c"]) s.add(k, { value: bytes(1) });
        s.get("a");
        assert.equal(s.evict(), true);
        assert.equal(s.get("b"), undefined, "b was the least recently used");
        assert.ok(s.get("a") !== undefined && s.get("c") !== undefined);
        assert.equal(s.stats().evictions, 1);
      });
    }

    it("evict on an empty store returns false", () => {
      assert.equal(create().evict(), false);
    });

    it("never changes the bytes of a value it returned, whatever happens to the entry afterwards", () => {
      const s = create();
      const seen: [Uint8Array, Uint8Array][] = [];
      const read = (k: string): void => {
        const value = s.get(k)?.value;
        if (value !== undefined) seen.push([value, value.slice()]);
      };
      for (let i = 0; i < 300; i++) s.add(`k${i}`, { value: bytes(1 + (i % 200), i) });
      for (let i = 0; i < 300; i += 7) read(`k${i}`);
      for (let i = 0; i < 300; i += 3) s.add(`k${i}`, { value: bytes(i % 2 === 0 ? 1 + (i % 200) : 50, 255 - (i % 200)) });
      for (let i = 1; i < 300; i += 3) s.remove(`k${i}`);
      for (let i = 0; i < 50; i++) s.evict();
      for (let i = 0; i < 2000; i++) {
        s.add(`n${i}`, { value: bytes(100, i) });
        if (i % 10 === 0) read(`n${i}`);
        if (s.items > 200) s.evict();
      }
      for (const [value, copy] of seen) assert.deepEqual(value, copy);
    });

    it("does not serve an entry past its expiry, and frees its bytes", () => {
      const s = create();
      let now = 1000;
      s.add("k", { value: bytes(5), expire: 1500 });
      assert.ok(s.get("k", () => now) !== undefined);
      now = 1500;
      assert.equal(
        s.get("k", () => now),
        undefined,
      );
      assert.equal(s.bytes, 0);
    });

    it("counts gets and hits", () => {
      const s = create();
      s.add("k", { value: bytes(1) });
      s.get("k");
      s.get("x");
      const st = s.stats();
      assert.equal(st.gets, 2);
      assert.equal(st.hits, 1);
    });

    it("clear empties it", () => {
      const s = create();
      s.add("k", { value: bytes(1) });
      s.clear();
      assert.equal(s.items, 0);
      assert.equal(s.bytes, 0);
      assert.equal(s.get("k"), undefined);
    });

    it("stays consistent under a long random sequence of operations", () => {
      const s = create();
      const model = new Map<string, number>();
      let seed = 7;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      for (let i = 0; i < 5000; i++) {
        const key = `k${rand(50)}`;
        const op = rand(4);
        if (op === 0) {
          const size = rand(64);
          s.add(key, { value: bytes(size) });
          model.set(key, size);
        } else if (op === 1) {
          assert.equal(s.remove(key), model.delete(key));
        } else if (op === 2) {
          assert.equal(s.get(key)?.value.byteLength, model.get(key));
        } else if (s.evict()) {
          // The model does not track recency: resync from the store.
          for (const k of [...model.keys()]) if (s.get(k) === undefined) model.delete(k);
        }
        assert.equal(s.items, model.size);
      }
    });
  });
}
