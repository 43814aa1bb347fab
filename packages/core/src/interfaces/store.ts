/** One cached value. `expire` is a Unix time in milliseconds after which the entry is not served; absent = never. */
export interface StoreEntry {
  readonly value: Uint8Array;
  readonly expire?: number | undefined;
  /**
   * A store may give its entries this writable slot (reset when the value changes); the Group keeps the
   * entry's resolved promise in it, so a hit allocates nothing.
   */
  memo?: unknown;
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
 * eviction rule across both, so a Store itself is unbounded: the Group calls `removeOldest()`.
 */
export interface Store {
  /** The live entry, marked most recently used; `now` is read only for entries with an expiry. */
  get(key: string, now?: () => number): StoreEntry | undefined;
  /** Insert or replace. */
  add(key: string, entry: StoreEntry): void;
  remove(key: string): boolean;
  /** Evict the least recently used entry; false when empty. */
  removeOldest(): boolean;
  clear(): void;
  readonly bytes: number;
  readonly items: number;
  stats(): StoreStats;
}

export interface StoreOptions {
  /** `${group}/main` or `${group}/hot`. */
  readonly name: string;
  readonly kind: "main" | "hot";
}

export type StoreFactory = (options: StoreOptions) => Store;
