import type { Store, StoreEntry, StoreStats } from "../interfaces/store.js";

/**
 * Bytes counted per entry on top of the key's UTF-8 bytes and the value's bytes: an estimate of V8's cost
 * of the Map slot, the entry object and the Uint8Array header, so that `maxBytes` bounds memory honestly.
 * golang/groupcache counts key + value only; pass `entryOverhead: 0` for the same accounting.
 */
export const DEFAULT_ENTRY_OVERHEAD = 64;

export interface LruStoreOptions {
  readonly entryOverhead?: number;
}

interface Slot {
  readonly entry: StoreEntry;
  readonly size: number;
}

/**
 * Least-recently-used store with byte accounting. A JS `Map` keeps insertion order, so re-inserting on
 * every hit makes its first key the least recently used one. Unbounded by itself: the Group evicts.
 */
export class LruStore implements Store {
  readonly #map = new Map<string, Slot>();
  readonly #overhead: number;
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

  get(key: string, now = Date.now()): StoreEntry | undefined {
    this.#gets++;
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    if (slot.entry.expire !== undefined && slot.entry.expire <= now) {
      this.#delete(key, slot);
      return undefined;
    }
    this.#map.delete(key);
    this.#map.set(key, slot);
    this.#hits++;
    return slot.entry;
  }

  add(key: string, entry: StoreEntry): void {
    const old = this.#map.get(key);
    if (old !== undefined) this.#delete(key, old);
    const size = Buffer.byteLength(key, "utf8") + entry.value.byteLength + this.#overhead;
    this.#map.set(key, { entry, size });
    this.#bytes += size;
  }

  remove(key: string): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    this.#delete(key, slot);
    return true;
  }

  removeOldest(): boolean {
    for (const [key, slot] of this.#map) {
      this.#delete(key, slot);
      this.#evictions++;
      return true;
    }
    return false;
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  stats(): StoreStats {
    return { bytes: this.#bytes, items: this.#map.size, gets: this.#gets, hits: this.#hits, evictions: this.#evictions };
  }

  #delete(key: string, slot: Slot): void {
    this.#map.delete(key);
    this.#bytes -= slot.size;
  }
}
