import type { Store, StoreEntry, StoreStats } from "../interfaces/store.js";

/**
 * Bytes counted per entry on top of the key's UTF-8 bytes and the value's bytes, so that `maxBytes` bounds
 * the process's memory and not only the payload: what an entry really costs beyond key and value on Node 20
 * (V8 heap: Map slot, list node, key string, Uint8Array and ArrayBuffer objects; native: the ArrayBuffer's
 * backing-store bookkeeping), measured by `bench/entry-overhead.mjs` at 480–630 bytes for 64 B–16 KiB values.
 * golang/groupcache counts key + value only; pass `entryOverhead: 0` for the same accounting.
 */
export const DEFAULT_ENTRY_OVERHEAD = 560;

export interface LruStoreOptions {
  readonly entryOverhead?: number;
}

/** A node of the recency list, and the entry itself (one object per entry); `prev` points towards the most recently used end. */
interface Node extends StoreEntry {
  readonly key: string;
  value: Uint8Array;
  expire: number | undefined;
  memo: unknown;
  size: number;
  prev: Node | undefined;
  next: Node | undefined;
}

/**
 * Least-recently-used store with byte accounting: a Map for lookup plus a doubly-linked recency list,
 * so a hit costs one Map lookup and a few pointer moves. Unbounded by itself: the Group evicts, applying
 * golang/groupcache's rule across its main and hot stores.
 */
export class LruStore implements Store {
  readonly #map = new Map<string, Node>();
  readonly #overhead: number;
  /** Most recently used. */
  #head: Node | undefined;
  /** Least recently used. */
  #tail: Node | undefined;
  #bytes = 0;
  #gets = 0;
  #hits = 0;
  #evictions = 0;

  constructor(options: LruStoreOptions = {}) {
    this.#overhead = options.entryOverhead ?? DEFAULT_ENTRY_OVERHEAD;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get items(): number {
    return this.#map.size;
  }

  get(key: string, now: () => number = Date.now): StoreEntry | undefined {
    this.#gets++;
    const node = this.#map.get(key);
    if (node === undefined) return undefined;
    const expire = node.expire;
    if (expire !== undefined && expire <= now()) {
      this.#delete(node);
      return undefined;
    }
    if (node !== this.#head) {
      this.#unlink(node);
      this.#pushHead(node);
    }
    this.#hits++;
    return node;
  }

  add(key: string, entry: StoreEntry): void {
    const size = Buffer.byteLength(key, "utf8") + entry.value.byteLength + this.#overhead;
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#bytes += size - old.size;
      old.value = entry.value;
      old.expire = entry.expire;
      old.memo = undefined;
      old.size = size;
      if (old !== this.#head) {
        this.#unlink(old);
        this.#pushHead(old);
      }
      return;
    }
    const node: Node = { key, value: entry.value, expire: entry.expire, memo: undefined, size, prev: undefined, next: undefined };
    this.#map.set(key, node);
    this.#pushHead(node);
    this.#bytes += size;
  }

  remove(key: string): boolean {
    const node = this.#map.get(key);
    if (node === undefined) return false;
    this.#delete(node);
    return true;
  }

  removeOldest(): boolean {
    const tail = this.#tail;
    if (tail === undefined) return false;
    this.#delete(tail);
    this.#evictions++;
    return true;
  }

  clear(): void {
    this.#map.clear();
    this.#head = this.#tail = undefined;
    this.#bytes = 0;
  }

  /** Keys from most to least recently used (for tests and the status page). */
  *keys(): IterableIterator<string> {
    for (let n = this.#head; n !== undefined; n = n.next) yield n.key;
  }

  stats(): StoreStats {
    return { bytes: this.#bytes, items: this.#map.size, gets: this.#gets, hits: this.#hits, evictions: this.#evictions };
  }

  #delete(node: Node): void {
    this.#map.delete(node.key);
    this.#unlink(node);
    this.#bytes -= node.size;
  }

  #unlink(node: Node): void {
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = node.next = undefined;
  }

  #pushHead(node: Node): void {
    node.next = this.#head;
    if (this.#head !== undefined) this.#head.prev = node;
    this.#head = node;
    this.#tail ??= node;
  }
}
