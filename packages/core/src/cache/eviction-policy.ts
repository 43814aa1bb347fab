/**
 * Which entry of a SlabStore goes first. The store tells the policy about every entry it adds, reads, replaces
 * and removes (by slot, with the entry's key hash and counted bytes) and asks it for a victim when the Group
 * evicts. The policy links slots through the records' PREV and NEXT fields (see RecencyList).
 */
export interface EvictionPolicy {
  /** Bytes counted per entry on top of what the store counts (the policy's own memory per entry). */
  readonly entryOverhead: number;
  /** A new entry. */
  added(slot: number, hash: number, size: number): void;
  /** A hit. */
  accessed(slot: number, hash: number): void;
  /** A new value for an existing entry (also a use). */
  replaced(slot: number, hash: number, oldSize: number, newSize: number): void;
  /** The entry is gone (removed, expired or evicted). */
  removed(slot: number, size: number): void;
  /** The slot `victim()` would most likely pick, without changing anything; -1 when the store is empty. */
  peekVictim(): number;
  /** The slot to evict next; -1 when the store is empty. */
  victim(): number;
  /** Slots from the one kept longest to the next victim (for tests and the status page). */
  order(): IterableIterator<number>;
  clear(): void;
}
