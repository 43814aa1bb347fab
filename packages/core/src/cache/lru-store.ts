import { LruPolicy } from "./lru-policy.js";
import { SlabStore, type SlabStoreOptions } from "./slab-store.js";

export type LruStoreOptions = SlabStoreOptions;

/**
 * Least-recently-used store with byte accounting, as golang/groupcache's: a hit moves the entry to the head
 * of the recency list, `evict()` drops the tail. Entries are kept without a JS object each (see SlabStore).
 * Unbounded by itself: the Group evicts, applying golang/groupcache's rule across its main and hot stores.
 */
export class LruStore extends SlabStore {
  constructor(options: LruStoreOptions = {}) {
    super(options, (table) => new LruPolicy(table));
  }
}
