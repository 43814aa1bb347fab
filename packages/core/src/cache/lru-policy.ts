import type { EntryTable } from "./entry-table.js";
import type { EvictionPolicy } from "./eviction-policy.js";
import { RecencyList } from "./recency-list.js";

/** Least recently used goes first: one recency list, a hit moves the entry to its head. */
export class LruPolicy implements EvictionPolicy {
  readonly entryOverhead = 0;
  readonly #list: RecencyList;

  constructor(table: EntryTable) {
    this.#list = new RecencyList(table);
  }

  added(slot: number, _hash: number, size: number): void {
    this.#list.pushHead(slot, size);
  }

  accessed(slot: number): void {
    this.#list.touch(slot);
  }

  replaced(slot: number, _hash: number, oldSize: number, newSize: number): void {
    this.#list.bytes += newSize - oldSize;
    this.#list.touch(slot);
  }

  removed(slot: number, size: number): void {
    this.#list.unlink(slot, size);
  }

  peekVictim(): number {
    return this.#list.tail;
  }

  victim(): number {
    return this.#list.tail;
  }

  *order(): IterableIterator<number> {
    for (let slot = this.#list.head; slot >= 0; slot = this.#list.older(slot)) yield slot;
  }

  clear(): void {
    this.#list.clear();
  }
}
