import type { EntryTable } from "./entry-table.js";
import { HASH, STRIDE } from "./entry-table.js";
import type { EvictionPolicy } from "./eviction-policy.js";
import { FrequencySketch, type FrequencySketchOptions } from "./frequency-sketch.js";
import { RecencyList } from "./recency-list.js";
import { WindowTuner } from "./window-tuner.js";

const NONE = 0;
const WINDOW = 1;
const PROBATION = 2;
const PROTECTED = 3;
/** The window's share of the capacity at first; the climber moves it. */
const INITIAL_WINDOW = 0.01;
/** The protected segment's share of the main space (the rest is probation). */
const PROTECTED_SHARE = 0.8;
/** A candidate seen this often is admitted now and then even when it loses (defeats hash flooding). */
const HASHDOS_THRESHOLD = 6;
/**
 * The admission sketch counts over 40 additions per expected entry (Caffeine: 10), with 32 counters per entry
 * (Caffeine: 16). Admission compares the candidate with the main space's least recently used entry, both mostly
 * near the cache's boundary, where a key is seen a small fraction of the sample (under zipf the least popular
 * cached key draws well under 1/entries of the requests): over 10 additions per entry it is expected about once
 * per sample, so the comparison is decided by sampling noise and doorkeeper/collision error; over 40 it is seen
 * several times. Twice the counters keep the collisions of the 4 times larger sample at bay. Counters still stop at
 * 15, enough to order the keys near the boundary. The cost is slower forgetting: a popularity that changes takes
 * 4 times as many requests to fade (the LRU shadow still grows the window at once when recency pays). Measured
 * with exact counts in place of the sketch (an experiment on bench/hit-ratio.mjs's zipf traces), halving every 40
 * additions per entry hit as well as never halving; every 10 lost 0.3 to 0.9 points.
 */
const SKETCH: FrequencySketchOptions = { wordsPerEntry: 4, samplePerEntry: 40 };
/** The window climber judges samples of this many requests per expected entry (Caffeine's sample). */
const CLIMB_SAMPLE_PER_ENTRY = 10;
/**
 * Bytes counted per entry for the policy's own memory: the frequency sketch (17 bytes per expected entry, sized to
 * the next power of two: 1 to 2 times the entries held, about 1.4 on average) and the segment byte.
 */
export const TINYLFU_ENTRY_OVERHEAD = 24;
/** Hits recorded before the read buffer is drained (a multiple of 8 entries: two cache lines of slots). */
const READ_BUFFER = 64;
/** The sketch grows at most to this many times the entries held, however few bytes they have (the first may mislead). */
const SKETCH_GROWTH = 16;
const MIN_SKETCH_ENTRIES = 1024;
/** Entries held before the sketch may shrink (the average entry size is trusted from then on). */
const SHRINK_MIN_ENTRIES = 256;

/**
 * W-TinyLFU (Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission Policy", 2017), as
 * Caffeine implements it, over a store's index links. New entries enter a small LRU window; the window's
 * overflow moves to the probation segment of the main space as candidates; when the store must evict, the
 * oldest candidate of the last add competes with probation's least recently used entry, and the one the
 * frequency sketch has seen less often goes. A hit in probation promotes to the protected segment (80% of the
 * main space), whose overflow is demoted back to probation. The window starts at 1% of the capacity; the
 * WindowTuner moves its limit (hill climbing on the hit rate, and a guard that turns towards LRU when an LRU
 * shadow on sampled keys does better). Every hit and every new entry counts as a sighting in the sketch.
 *
 * A hit only records the slot in a read buffer (a ring of slots, no allocation), as Caffeine's read buffers;
 * the buffer is drained in a batch (sketch increments, segment moves, the tuner's counts) when it is full and
 * before any write, eviction or inspection, so no slot in it can be stale. Repeated hits on one entry in a row
 * are applied at once.
 *
 * The sketch counts from the first entry: it is sized for the entries the capacity holds at the average entry
 * size seen so far (capacity × entries / bytes), and resized when that estimate moves past the next power of
 * two up (or four down); a resize carries over the estimated frequencies of the entries held.
 *
 * `capacity` is the byte size the store is expected to have when full; it sizes the segments (the store
 * itself is evicted by its Group, as any store).
 */
export class TinyLfuPolicy implements EvictionPolicy {
  readonly entryOverhead = TINYLFU_ENTRY_OVERHEAD;
  readonly #table: EntryTable;
  readonly #sizeOf: (slot: number) => number;
  readonly #window: RecencyList;
  readonly #probation: RecencyList;
  readonly #protected: RecencyList;
  #segments = new Uint8Array(64);
  #sketch = new FrequencySketch(0, SKETCH);
  readonly #reads = new Int32Array(READ_BUFFER);
  #readCount = 0;
  /** Whether the store was half full once (the climber judges hit rates from then on). */
  #filled = false;
  readonly #tuner: WindowTuner;
  readonly #capacity: number;
  #windowMax: number;
  #protectedMax: number;
  /** The oldest candidate of the last add still in probation, -1 if none: the next to compete for admission. */
  #candidate = -1;
  #random = 0x2545f491;

  constructor(table: EntryTable, sizeOf: (slot: number) => number, capacity: number) {
    this.#table = table;
    this.#sizeOf = sizeOf;
    this.#window = new RecencyList(table);
    this.#probation = new RecencyList(table);
    this.#protected = new RecencyList(table);
    this.#capacity = capacity;
    this.#windowMax = Math.max(1, Math.round(capacity * INITIAL_WINDOW));
    this.#protectedMax = Math.round(PROTECTED_SHARE * (capacity - this.#windowMax));
    this.#tuner = new WindowTuner(capacity);
  }

  /** The window's byte limit now (for tests and the status page). */
  get windowMax(): number {
    return this.#windowMax;
  }

  /** Bytes and entries of each segment (for tests and benchmarks). */
  segments(): { window: number; probation: number; protected: number; sketchBytes: number } {
    this.#drain();
    return { window: this.#window.bytes, probation: this.#probation.bytes, protected: this.#protected.bytes, sketchBytes: this.#sketch.byteLength };
  }

  added(slot: number, hash: number, size: number): void {
    this.#drain();
    if (slot >= this.#segments.length) this.#growSegments();
    this.#segments[slot] = WINDOW;
    this.#window.pushHead(slot, size);
    this.#sizeSketch();
    this.#sketch.increment(hash);
    this.#tuner.miss(hash, size);
    if (!this.#filled && this.#bytes() >= this.#capacity / 2) this.#filled = true;
    this.#candidate = -1;
    this.#climb();
    this.#drainWindow();
  }

  accessed(slot: number): void {
    this.#reads[this.#readCount++] = slot;
    if (this.#readCount === READ_BUFFER) this.#drain();
  }

  replaced(slot: number, hash: number, oldSize: number, newSize: number): void {
    this.#drain();
    this.#sketch.increment(hash);
    this.#list(this.#segments[slot]!).bytes += newSize - oldSize;
    this.#reorder(slot);
    this.#drainWindow();
  }

  removed(slot: number, size: number): void {
    this.#drain();
    const segment = this.#segments[slot]!;
    if (segment === PROBATION) this.#leaveProbation(slot, size);
    else this.#list(segment).unlink(slot, size);
    this.#segments[slot] = NONE;
  }

  /** The main space's least recently used entry (the victim, unless the next candidate loses admission to it). */
  peekVictim(): number {
    this.#drain();
    return this.#probation.tail >= 0 ? this.#probation.tail : this.#protected.tail >= 0 ? this.#protected.tail : this.#window.tail;
  }

  victim(): number {
    this.#drain();
    const victim = this.#probation.tail >= 0 ? this.#probation.tail : this.#protected.tail >= 0 ? this.#protected.tail : this.#window.tail;
    const candidate = this.#candidate;
    if (victim < 0 || candidate < 0 || candidate === victim || this.#segments[candidate] !== PROBATION) return victim;
    if (this.#admit(candidate, victim)) {
      // The candidate stays (in probation); the next candidate competes next.
      this.#candidate = this.#probation.newer(candidate);
      return victim;
    }
    return candidate;
  }

  *order(): IterableIterator<number> {
    this.#drain();
    for (const list of [this.#protected, this.#window, this.#probation]) {
      for (let slot = list.head; slot >= 0; slot = list.older(slot)) yield slot;
    }
  }

  clear(): void {
    this.#window.clear();
    this.#probation.clear();
    this.#protected.clear();
    this.#segments.fill(NONE);
    this.#sketch = new FrequencySketch(0, SKETCH);
    this.#readCount = 0;
    this.#candidate = -1;
  }

  /** Applies the hits in the read buffer, in order; a run of hits on one slot at once. */
  #drain(): void {
    const count = this.#readCount;
    if (count === 0) return;
    this.#readCount = 0;
    const reads = this.#reads;
    const ints = this.#table.ints;
    for (let i = 0; i < count;) {
      const slot = reads[i]!;
      let run = 1;
      while (i + run < count && reads[i + run] === slot) run++;
      i += run;
      const hash = ints[slot * STRIDE + HASH]!;
      this.#sketch.increment(hash, run);
      this.#tuner.hits(hash, run, this.#tuner.sampled(hash) ? this.#sizeOf(slot) : 0);
      this.#reorder(slot);
    }
  }

  /**
   * Sizes the sketch for the entries the capacity holds at the average entry size seen so far (see the class
   * comment), carrying over the frequencies of the entries held.
   */
  #sizeSketch(): void {
    const count = this.#count();
    const estimate = (this.#capacity * count) / this.#bytes();
    const grow = Math.min(estimate, Math.max(SKETCH_GROWTH * count, MIN_SKETCH_ENTRIES));
    const sized = this.#sketch.capacity;
    if (grow <= sized && !(count >= SHRINK_MIN_ENTRIES && estimate * 4 <= sized)) return;
    const old = this.#sketch;
    const next = new FrequencySketch(Math.max(1, grow), SKETCH);
    const ints = this.#table.ints;
    for (const list of [this.#window, this.#probation, this.#protected]) {
      for (let slot = list.head; slot >= 0; slot = list.older(slot)) {
        const hash = ints[slot * STRIDE + HASH]!;
        next.increment(hash, old.frequency(hash));
      }
    }
    this.#sketch = next;
    this.#tuner.entries(Math.round(grow));
  }

  /** A hit: LRU order within the window and the protected segment; probation promotes to protected. */
  #reorder(slot: number): void {
    const segment = this.#segments[slot]!;
    if (segment === WINDOW) {
      this.#window.touch(slot);
    } else if (segment === PROTECTED) {
      this.#protected.touch(slot);
    } else {
      const size = this.#sizeOf(slot);
      this.#leaveProbation(slot, size);
      this.#segments[slot] = PROTECTED;
      this.#protected.pushHead(slot, size);
      this.#demote();
    }
  }

  /** Moves the window's least recently used entries beyond its limit to probation, as candidates. */
  #drainWindow(): void {
    let first = -1;
    while (this.#window.bytes > this.#windowMax && this.#window.tail >= 0) {
      const slot = this.#window.tail;
      this.#toProbation(slot, this.#window);
      if (first < 0) first = slot;
    }
    if (first >= 0) this.#candidate = first;
  }

  /** Moves protected's least recently used entries beyond its limit back to probation. */
  #demote(): void {
    while (this.#protected.bytes > this.#protectedMax && this.#protected.tail >= 0) this.#toProbation(this.#protected.tail, this.#protected);
  }

  #toProbation(slot: number, from: RecencyList): void {
    const size = this.#sizeOf(slot);
    from.unlink(slot, size);
    this.#segments[slot] = PROBATION;
    this.#probation.pushHead(slot, size);
  }

  #leaveProbation(slot: number, size: number): void {
    if (slot === this.#candidate) this.#candidate = this.#probation.newer(slot);
    this.#probation.unlink(slot, size);
  }

  /** Whether the candidate should replace the victim: seen more often, or now and then when seen often (hash flooding). */
  #admit(candidate: number, victim: number): boolean {
    const ints = this.#table.ints;
    const candidateFrequency = this.#sketch.frequency(ints[candidate * STRIDE + HASH]!);
    const victimFrequency = this.#sketch.frequency(ints[victim * STRIDE + HASH]!);
    if (candidateFrequency > victimFrequency) return true;
    return candidateFrequency >= HASHDOS_THRESHOLD && (this.#nextRandom() & 127) === 0;
  }

  /** Applies the tuner's adjustment of the window's limit. */
  #climb(): void {
    const amount = this.#tuner.adjustment(this.#filled ? CLIMB_SAMPLE_PER_ENTRY * this.#sketch.capacity : 0);
    if (amount !== 0) this.#resizeWindow(amount);
  }

  /**
   * Moves the window's limit by `amount` bytes (within 1 byte and the whole capacity) and the protected
   * segment's with it (80% of what is left). Entries are not moved: a larger window keeps new entries longer
   * (evictions come from the main space meanwhile), a smaller one is drained to probation at the next add.
   */
  #resizeWindow(amount: number): void {
    this.#windowMax = Math.min(Math.max(1, this.#windowMax + amount), this.#capacity);
    this.#protectedMax = Math.round(PROTECTED_SHARE * (this.#capacity - this.#windowMax));
    this.#demote();
  }

  #list(segment: number): RecencyList {
    return segment === WINDOW ? this.#window : segment === PROBATION ? this.#probation : this.#protected;
  }

  #bytes(): number {
    return this.#window.bytes + this.#probation.bytes + this.#protected.bytes;
  }

  #count(): number {
    return this.#window.count + this.#probation.count + this.#protected.count;
  }

  #growSegments(): void {
    const grown = new Uint8Array(this.#table.capacity);
    grown.set(this.#segments);
    this.#segments = grown;
  }

  /** xorshift32: a deterministic stream for the hash-flooding defence. */
  #nextRandom(): number {
    let x = this.#random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#random = x;
    return x;
  }
}
