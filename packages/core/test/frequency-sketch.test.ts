import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FrequencySketch } from "../src/cache/frequency-sketch.js";

describe("FrequencySketch", () => {
  it("never under-counts before it ages: a key seen n times is estimated at least min(n, 16)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 1500 }), (keys) => {
        // Sized for 1,024 entries: ages after 10,240 additions, more than any run here.
        const sketch = new FrequencySketch(1024);
        const counts = new Map<number, number>();
        const hash = (k: number): number => Math.imul(k + 1, 0x9e3779b1);
        for (const k of keys) {
          sketch.increment(hash(k));
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
        assert.equal(sketch.resets, 0);
        for (const [k, n] of counts) assert.ok(sketch.frequency(hash(k)) >= Math.min(n, 16), `key ${k}: ${sketch.frequency(hash(k))} < ${n}`);
      }),
    );
  });

  it("keeps a key seen once in the doorkeeper only, and estimates keys never seen near zero", () => {
    const sketch = new FrequencySketch(4096);
    for (let k = 0; k < 4096; k++) sketch.increment(Math.imul(k, 0x85ebca6b));
    assert.equal(sketch.frequency(Math.imul(7, 0x85ebca6b)), 1);
    let overestimated = 0;
    for (let k = 10_000; k < 11_000; k++) if (sketch.frequency(Math.imul(k, 0x85ebca6b)) > 0) overestimated++;
    assert.ok(overestimated < 100, `${overestimated} of 1,000 unseen keys estimated above 0`);
  });

  it("halves its counts after 10 additions per expected entry, so old popularity fades", () => {
    const sketch = new FrequencySketch(64);
    assert.equal(sketch.sampleSize, 640);
    for (let i = 0; i < 15; i++) sketch.increment(42);
    assert.equal(sketch.frequency(42), 15);
    for (let i = 0; sketch.resets === 0; i++) sketch.increment(Math.imul(i + 100, 0x9e3779b1));
    assert.ok(sketch.frequency(42) <= 8, `${sketch.frequency(42)} after aging`);
    assert.ok(sketch.frequency(42) >= 6, "halved, not cleared");
  });

  it("counts over samplePerEntry additions per expected entry, with wordsPerEntry words of counters each", () => {
    const sketch = new FrequencySketch(64, { samplePerEntry: 40, wordsPerEntry: 4 });
    assert.equal(sketch.sampleSize, 64 * 40);
    assert.equal(sketch.capacity, 64);
    assert.equal(sketch.byteLength, 64 * 4 * 4 + 64);
    for (let i = 0; i < 64 * 40 - 1; i++) sketch.increment(Math.imul(i + 100, 0x9e3779b1));
    assert.equal(sketch.resets, 0);
    sketch.increment(1);
    assert.equal(sketch.resets, 1);
  });

  it("records a run of sightings at once exactly as one at a time", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 20 })), { maxLength: 400 }), (runs) => {
        // Sized for 64 entries: ages after 640 additions, so some runs cross an aging.
        const one = new FrequencySketch(64);
        const batched = new FrequencySketch(64);
        const hash = (k: number): number => Math.imul(k + 1, 0x9e3779b1);
        for (const [k, times] of runs) {
          for (let i = 0; i < times; i++) one.increment(hash(k));
          batched.increment(hash(k), times);
          // Aging is checked once per batch, so compare only while both aged alike.
          if (one.resets !== batched.resets) return;
        }
        for (const [k] of runs) assert.equal(batched.frequency(hash(k)), one.frequency(hash(k)), `key ${k}`);
      }),
    );
  });

  it("counts nothing until it is sized, and never shrinks", () => {
    const sketch = new FrequencySketch();
    assert.equal(sketch.sized, false);
    sketch.increment(1);
    assert.equal(sketch.frequency(1), 0);
    sketch.ensureCapacity(100);
    assert.equal(sketch.capacity, 128);
    sketch.ensureCapacity(10);
    assert.equal(sketch.capacity, 128);
  });
});
