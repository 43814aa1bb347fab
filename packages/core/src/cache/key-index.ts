import { CHAIN, HASH, STRIDE, type EntryTable } from "./entry-table.js";

const INITIAL_BUCKETS = 64;

/**
 * Hash index from a key's hash to the slots whose key has that hash: a power-of-two array of bucket heads
 * and a chain through each record's CHAIN field, kept at most one entry per bucket on average (4–8 bytes
 * per entry). Finding a key among the slots of its hash (comparing the stored bytes) is the store's part.
 */
export class KeyIndex {
  #buckets = new Int32Array(INITIAL_BUCKETS).fill(-1);
  #mask = INITIAL_BUCKETS - 1;
  readonly #table: EntryTable;

  constructor(table: EntryTable) {
    this.#table = table;
  }

  /** The first slot of the chain that holds `hash`'s entries, -1 if none; follow CHAIN for the next. */
  first(hash: number): number {
    return this.#buckets[hash & this.#mask]!;
  }

  /** Adds `slot`, whose HASH field is set. */
  insert(slot: number): void {
    if (this.#table.size > this.#buckets.length) this.#rehash(this.#buckets.length * 2);
    const ints = this.#table.ints;
    const bucket = ints[slot * STRIDE + HASH]! & this.#mask;
    ints[slot * STRIDE + CHAIN] = this.#buckets[bucket]!;
    this.#buckets[bucket] = slot;
  }

  remove(slot: number): void {
    const ints = this.#table.ints;
    const bucket = ints[slot * STRIDE + HASH]! & this.#mask;
    let at = this.#buckets[bucket]!;
    if (at === slot) {
      this.#buckets[bucket] = ints[slot * STRIDE + CHAIN]!;
      return;
    }
    while (at >= 0) {
      const next = ints[at * STRIDE + CHAIN]!;
      if (next === slot) {
        ints[at * STRIDE + CHAIN] = ints[slot * STRIDE + CHAIN]!;
        return;
      }
      at = next;
    }
    throw new Error(`key index: slot ${slot} is not indexed`);
  }

  clear(): void {
    this.#buckets = new Int32Array(INITIAL_BUCKETS).fill(-1);
    this.#mask = INITIAL_BUCKETS - 1;
  }

  /** Every indexed slot, in no particular order. */
  *slots(): IterableIterator<number> {
    for (const head of this.#buckets) for (let at = head; at >= 0; at = this.#table.ints[at * STRIDE + CHAIN]!) yield at;
  }

  #rehash(size: number): void {
    const old = this.#buckets;
    const ints = this.#table.ints;
    const buckets = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let b = 0; b < old.length; b++) {
      for (let at = old[b]!; at >= 0;) {
        const next = ints[at * STRIDE + CHAIN]!;
        const bucket = ints[at * STRIDE + HASH]! & mask;
        ints[at * STRIDE + CHAIN] = buckets[bucket]!;
        buckets[bucket] = at;
        at = next;
      }
    }
    this.#buckets = buckets;
    this.#mask = mask;
  }
}
