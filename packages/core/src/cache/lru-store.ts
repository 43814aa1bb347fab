import { InvalidArgumentError } from "../errors.js";
import type { Store, StoreEntry, StoreStats } from "../interfaces/store.js";
import { SLAB_VALUE_LIMIT, type Slab, SlabArena, type SlabResident } from "./slab-arena.js";

/**
 * Bytes counted per entry on top of the key's UTF-8 bytes and the value's bytes, so that `maxBytes` bounds
 * the process's memory and not only the payload. What an entry really costs beyond key and value on Node 20,
 * measured by `bench/entry-overhead.mjs`:
 * - a value of up to SLAB_VALUE_LIMIT (2 KiB), kept in a shared slab: the Map slot, the entry object, the key
 *   string and, once read, a Uint8Array view: SLAB_ENTRY_OVERHEAD, plus 1/8 of the value for slab slack;
 * - a larger value, with its own ArrayBuffer: also the JSArrayBuffer and its native bookkeeping:
 *   DEFAULT_ENTRY_OVERHEAD.
 * An `entryOverhead` option replaces both (and the slack); golang/groupcache counts key + value only:
 * pass `entryOverhead: 0` for the same accounting.
 */
export const DEFAULT_ENTRY_OVERHEAD = 600;
export const SLAB_ENTRY_OVERHEAD = 330;

export interface LruStoreOptions {
  /** Bytes counted per entry beyond key and value, for every entry (default: by kind, see above). */
  readonly entryOverhead?: number;
  /** Values up to this many bytes (at most SLAB_VALUE_LIMIT) are copied into shared slabs; 0 keeps every value in its own buffer. */
  readonly slabValueLimit?: number;
}

/** A node of the recency list, and the entry itself (one object per entry); `prev` points towards the most recently used end. */
class Node implements StoreEntry, SlabResident {
  readonly key: string;
  expire: number | undefined;
  memo: unknown = undefined;
  size = 0;
  prev: Node | undefined = undefined;
  next: Node | undefined = undefined;
  /** Where the value lives when it is in a slab. */
  slab: Slab | undefined = undefined;
  offset = 0;
  slot = -1;
  length = 0;
  /** The value: its own buffer, or a view of its slab made on first read. */
  view: Uint8Array | undefined = undefined;

  constructor(key: string, expire: number | undefined) {
    this.key = key;
    this.expire = expire;
  }

  get value(): Uint8Array {
    return (this.view ??= new Uint8Array(this.slab!.bytes.buffer, this.slab!.bytes.byteOffset + this.offset, this.length));
  }

  moved(): void {
    // Callers keep the views they got (they keep the old slab alive); new reads get the new place.
    this.view = undefined;
    this.memo = undefined;
  }
}

/**
 * Least-recently-used store with byte accounting: a Map for lookup plus a doubly-linked recency list,
 * so a hit costs one Map lookup and a few pointer moves. Small values are copied into shared slabs
 * (see SlabArena); a larger value that is a view into a bigger buffer (a pooled Buffer, a slice of a
 * response) is copied so the store does not keep that buffer alive, and one that owns its buffer is kept
 * as it is. Unbounded by itself: the Group evicts, applying golang/groupcache's rule across its main and
 * hot stores.
 */
export class LruStore implements Store {
  readonly #map = new Map<string, Node>();
  readonly #overhead: number | undefined;
  readonly #slabLimit: number;
  readonly #arena = new SlabArena();
  /** Most recently used. */
  #head: Node | undefined;
  /** Least recently used. */
  #tail: Node | undefined;
  #bytes = 0;
  #gets = 0;
  #hits = 0;
  #evictions = 0;

  constructor(options: LruStoreOptions = {}) {
    const { entryOverhead, slabValueLimit = SLAB_VALUE_LIMIT } = options;
    if (entryOverhead !== undefined && !(Number.isSafeInteger(entryOverhead) && entryOverhead >= 0)) {
      throw new InvalidArgumentError(`expected entryOverhead to be a non-negative integer, got ${String(entryOverhead)}`);
    }
    if (!(Number.isSafeInteger(slabValueLimit) && slabValueLimit >= 0 && slabValueLimit <= SLAB_VALUE_LIMIT)) {
      throw new InvalidArgumentError(`expected slabValueLimit to be an integer from 0 to ${SLAB_VALUE_LIMIT}, got ${String(slabValueLimit)}`);
    }
    this.#overhead = entryOverhead;
    this.#slabLimit = slabValueLimit;
  }

  /** Bytes of the slabs held and of the values in them (for tests and benchmarks). */
  slabStats(): { allocatedBytes: number; liveBytes: number; slabs: number; evacuations: number } {
    const arena = this.#arena;
    return { allocatedBytes: arena.allocatedBytes, liveBytes: arena.liveBytes, slabs: arena.slabCount, evacuations: arena.evacuations };
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
    let node = this.#map.get(key);
    if (node === undefined) {
      node = new Node(key, entry.expire);
      this.#map.set(key, node);
      this.#pushHead(node);
    } else {
      this.#arena.release(node);
      node.expire = entry.expire;
      node.memo = undefined;
      this.#bytes -= node.size;
      if (node !== this.#head) {
        this.#unlink(node);
        this.#pushHead(node);
      }
    }
    const value = entry.value;
    const length = value.byteLength;
    node.length = length;
    let size = Buffer.byteLength(key, "utf8") + length;
    if (length > 0 && length <= this.#slabLimit) {
      node.view = undefined;
      this.#arena.place(node, value);
      size += this.#overhead ?? (length >>> 3) + SLAB_ENTRY_OVERHEAD;
    } else {
      // Not value.slice(): on a Buffer that is a view too.
      node.slab = undefined;
      node.view = value.byteOffset === 0 && length === value.buffer.byteLength ? value : new Uint8Array(value);
      size += this.#overhead ?? DEFAULT_ENTRY_OVERHEAD;
    }
    node.size = size;
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
    this.#arena.clear();
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
    this.#arena.release(node);
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
