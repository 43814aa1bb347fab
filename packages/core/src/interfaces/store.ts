/** One cached value. `expire` is a Unix time in milliseconds after which the entry is not served; absent = never. */
export interface StoreEntry {
  readonly value: Uint8Array;
  readonly expire?: number | undefined;
}

export interface StoreStats {
  /** Bytes accounted (key UTF-8 bytes + value bytes + per-entry overhead, see the Store implementation). */
  readonly bytes: number;
  readonly items: number;
  readonly gets: number;
  readonly hits: number;
  readonly evictions: number;
}

/**
 * A cache of entries with byte accounting. The Group owns two (main and hot) and applies golang/groupcache's
 * eviction rule across both, so a Store itself is unbounded: the Group calls `evict()`.
 *
 * Values are shared, not copied: the bytes of a value that `get` returned must never change afterwards, not
 * even when the entry is replaced, removed or evicted, because the Group hands them to callers as they are.
 * The Group may also reuse what it derived from a value (a resolved promise) whenever `get` returns the same
 * Uint8Array object again, so return the same object for an unchanged entry where you can, and a new one
 * after any change.
 */
export interface Store {
  /** The live entry, counted as a use; `now` is read only for entries with an expiry. */
  get(key: string, now?: () => number): StoreEntry | undefined;
  /** Insert or replace. The Group never writes to `entry.value` afterwards: the store may keep it or copy it. */
  add(key: string, entry: StoreEntry): void;
  remove(key: string): boolean;
  /** Evict one entry, the one the store's policy gives up first (the least recently used, for LRU); false when empty. */
  evict(): boolean;
  clear(): void;
  readonly bytes: number;
  readonly items: number;
  stats(): StoreStats;
}

export interface StoreOptions {
  /** `${group}/main` or `${group}/hot`. */
  readonly name: string;
  readonly kind: "main" | "hot";
  /** The group's byte budget (main and hot together): a sizing hint, the Group does the evicting. */
  readonly maxBytes: number;
}

export type StoreFactory = (options: StoreOptions) => Store;
