import type { GetOptions, SetOptions } from "../engine/group.js";
import type { GroupStats } from "../engine/stats.js";
import type { StoreStats } from "./store.js";

/**
 * A named cache with a loader, as golang/groupcache's Group: `get` looks in this node's main and hot caches,
 * then asks the key's owner on the ring (which loads it once for the whole cluster), or loads it here when this
 * node owns the key. Made by `cluster.group(name, options)`.
 */
export interface Group {
  readonly name: string;
  /** Byte budget of main + hot cache. */
  readonly maxBytes: number;
  /** Counters since the group was created. */
  readonly stats: GroupStats;
  /**
   * The value of `key`, from a cache, the owning peer, or the loader. The bytes are shared with the cache, as
   * golang's ByteView is: treat them as read-only (copy with `.slice()` before changing them).
   */
  get(key: string, options?: GetOptions): Promise<Uint8Array>;
  /**
   * The values of `keys`, as `Promise.allSettled(keys.map((k) => group.get(k)))` gives them (one result per key,
   * in order; a key's failure rejects that key only), with one request per owning peer instead of one per key.
   * Hits are served here without a request; each missing key is still loaded once cluster-wide (singleflight
   * per key, here and at its owner), and the hot-cache policy applies per key. A repeated key is looked up once.
   * Peers without the batch route (golang/groupcache) get single-key fetches.
   */
  getMany(keys: readonly string[], options?: GetOptions): Promise<PromiseSettledResult<Uint8Array>[]>;
  /** Like `get`, decoded as UTF-8. */
  getString(key: string, options?: GetOptions): Promise<string>;
  /**
   * The cached value of `key` on this node (main or hot cache), synchronously, or undefined: no peer fetch, no
   * load. `group.peek(k) ?? (await group.get(k))` skips the promise on hits in hot loops.
   */
  peek(key: string): Uint8Array | undefined;
  /** Store a value at its owner and drop it from the other nodes' hot caches (an extension beyond golang/groupcache). */
  set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void>;
  /** Delete a key at its owner and from every node's hot cache (an extension beyond golang/groupcache). */
  remove(key: string): Promise<void>;
  /** Counters of this node's main or hot cache. */
  cacheStats(kind: "main" | "hot"): StoreStats;
}
