import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { frequentHot } from "../src/engine/hot-policy.js";
import { LruStore } from "../src/cache/lru-store.js";

const VALUE = new Uint8Array(100);

describe("frequentHot", () => {
  it("admits a key on its second fetch, and hardly ever a key fetched once (the doorkeeper's false positives)", () => {
    const admit = frequentHot({ hotBytes: 100_000 });
    assert.equal(admit("popular", VALUE), false);
    assert.equal(admit("popular", VALUE), true);
    let admitted = 0;
    for (let i = 0; i < 1000; i++) if (admit(`once-${i}`, VALUE)) admitted++;
    assert.ok(admitted <= 10, `${admitted} of 1,000 keys fetched once admitted`);
  });

  it("admits every key, even on its first fetch, while keeping it evicts nothing (hotVictim() is null)", () => {
    const admit = frequentHot({ hotBytes: 100_000 });
    for (let i = 0; i < 100; i++)
      assert.equal(
        admit(`once-${i}`, VALUE, () => null),
        true,
      );
    assert.equal(
      admit("fresh", VALUE, () => undefined),
      false,
      "a first fetch that would evict is not admitted",
    );
  });

  it("admits a key read k times when k reaches the threshold", () => {
    const admit = frequentHot({ threshold: 4, hotBytes: 100_000 });
    assert.deepEqual(
      Array.from({ length: 5 }, () => admit("k", VALUE)),
      [false, false, false, true, true],
    );
  });

  it("admits into a full hot cache only a key fetched more often than the hot cache's victim", () => {
    const admit = frequentHot({ hotBytes: 100_000 });
    for (let i = 0; i < 5; i++) admit("victim", VALUE);
    const victim = () => "victim";
    assert.equal(admit("newcomer", VALUE, victim), false);
    assert.equal(admit("newcomer", VALUE, victim), false, "2 fetches against the victim's 5");
    for (let i = 0; i < 3; i++) admit("newcomer", VALUE, victim);
    assert.equal(admit("newcomer", VALUE, victim), true, "6 fetches against 5");
  });

  it("keeps every hot entry through a scan of keys fetched once, as long as the sketch's aging period (golang's coin lets one in ten through)", () => {
    const hot = new LruStore({ entryOverhead: 0 });
    const admit = frequentHot({ hotBytes: 100 * 110 });
    const keep = (key: string): void => {
      if (admit(key, VALUE, () => (hot.items < 100 ? undefined : [...hot.keys()].at(-1)))) {
        hot.add(key, { value: VALUE });
        if (hot.items > 100) hot.evict();
      }
    };
    const popular = Array.from({ length: 100 }, (_, i) => `hot-${i}`);
    for (let round = 0; round < 3; round++) for (const key of popular) keep(key);
    assert.equal(hot.items, 100);
    // Sized for 4 x 61 hot entries (256 counter sets): the counts halve every 2,560 fetches.
    for (let i = 0; i < 2_000; i++) keep(`scan-${i}`);
    assert.equal(popular.filter((key) => hot.get(key) !== undefined).length, 100);
  });

  it("rejects a bad threshold or hotBytes", () => {
    assert.throws(() => frequentHot({ threshold: 0 }), /expected frequentHot's threshold to be an integer from 1 to 16, got 0/);
    assert.throws(() => frequentHot({ hotBytes: -1 }), /expected frequentHot's hotBytes to be a non-negative integer, got -1/);
  });
});
