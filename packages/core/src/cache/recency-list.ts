import { type EntryTable, NEXT, PREV, STRIDE } from "./entry-table.js";

/**
 * A doubly-linked list of slots through the records' PREV and NEXT fields, most recently used at the head.
 * A slot is in at most one list at a time. Counts its entries and their bytes as its owner reports them.
 */
export class RecencyList {
  /** Most recently used, -1 when empty. */
  head = -1;
  /** Least recently used, -1 when empty. */
  tail = -1;
  count = 0;
  bytes = 0;
  readonly #table: EntryTable;

  constructor(table: EntryTable) {
    this.#table = table;
  }

  pushHead(slot: number, bytes: number): void {
    const ints = this.#table.ints;
    ints[slot * STRIDE + PREV] = -1;
    ints[slot * STRIDE + NEXT] = this.head;
    if (this.head >= 0) ints[this.head * STRIDE + PREV] = slot;
    else this.tail = slot;
    this.head = slot;
    this.count++;
    this.bytes += bytes;
  }

  unlink(slot: number, bytes: number): void {
    const ints = this.#table.ints;
    const prev = ints[slot * STRIDE + PREV]!;
    const next = ints[slot * STRIDE + NEXT]!;
    if (prev < 0) this.head = next;
    else ints[prev * STRIDE + NEXT] = next;
    if (next < 0) this.tail = prev;
    else ints[next * STRIDE + PREV] = prev;
    this.count--;
    this.bytes -= bytes;
  }

  /** Moves a slot of this list to its head. */
  touch(slot: number): void {
    if (slot === this.head) return;
    const ints = this.#table.ints;
    const prev = ints[slot * STRIDE + PREV]!;
    const next = ints[slot * STRIDE + NEXT]!;
    // Not the head, so prev >= 0.
    ints[prev * STRIDE + NEXT] = next;
    if (next < 0) this.tail = prev;
    else ints[next * STRIDE + PREV] = prev;
    ints[slot * STRIDE + PREV] = -1;
    ints[slot * STRIDE + NEXT] = this.head;
    ints[this.head * STRIDE + PREV] = slot;
    this.head = slot;
  }

  /** The slot after `slot`, towards the least recently used end; -1 at the end. */
  older(slot: number): number {
    return this.#table.ints[slot * STRIDE + NEXT]!;
  }

  /** The slot before `slot`, towards the most recently used end; -1 at the head. */
  newer(slot: number): number {
    return this.#table.ints[slot * STRIDE + PREV]!;
  }

  clear(): void {
    this.head = this.tail = -1;
    this.count = this.bytes = 0;
  }
}
