import { InvalidArgumentError } from "../errors.js";
import type { Store, StoreEntry, StoreStats } from "../interfaces/store.js";
import { CHAIN, EntryTable, HASH, KEY_LENGTH, NO_EXPIRY, OFFSET, SLAB, STRIDE, VALUE_LENGTH, expireIndex } from "./entry-table.js";
import { EntryHandle, EntryHandles } from "./entry-handles.js";
import type { EvictionPolicy } from "./eviction-policy.js";
import { KeyCodec, decodeKey } from "./key-codec.js";
import { KeyIndex } from "./key-index.js";
import { SLAB_CLASS_BYTES, classOf, classesFor } from "./size-classes.js";
import { SlabArena } from "./slab-arena.js";

/**
 * Bytes counted per entry on top of its key's UTF-8 bytes and its value's bytes, so that `maxBytes` bounds
 * the process's memory and not only the payload. What an entry really costs beyond key and value on Node 20,
 * measured by `bench/entry-overhead.mjs`:
 * - in a slab: its record, its share of the index and its slab's list of entries: SLAB_ENTRY_OVERHEAD, plus
 *   1/8 of key + value for the dead bytes compaction lets a slab keep;
 * - in a buffer of its own (larger than the slabs take): also the buffer's objects and bookkeeping:
 *   OWN_BUFFER_ENTRY_OVERHEAD.
 * An `entryOverhead` option replaces both (and the slack); golang/groupcache counts key + value only: pass
 * `entryOverhead: 0` for the same accounting.
 */
export const SLAB_ENTRY_OVERHEAD = 56;
export const OWN_BUFFER_ENTRY_OVERHEAD = 600;
/** Largest key + value an entry can have (lengths are kept as int32). */
export const MAX_ENTRY_BYTES = 2 ** 31 - 1;

export interface SlabStoreOptions {
  /** Bytes counted per entry beyond key and value, for every entry (default: by where the entry is kept, see above). */
  readonly entryOverhead?: number;
  /**
   * Entries (key + value bytes) larger than this get a buffer of their own instead of a place in a shared slab;
   * 0 gives every entry its own. Default and maximum: what the slab classes for `maxBytes` hold (see size-classes.ts).
   */
  readonly slabValueLimit?: number;
  /** The byte budget the store serves (the group's `maxBytes`), which decides the slab sizes; default 64 MiB. */
  readonly maxBytes?: number;
}

/**
 * A Store without a JS object per entry: keys and values are bytes in slabs (see SlabArena), each entry a
 * 40-byte record in one buffer (EntryTable), found through a hash index of int32 chains (KeyIndex) and
 * ordered for eviction by its policy through index links. The GC sees a handful of large buffers whatever
 * the number of entries. A hit returns a handle whose value is a view of the cached bytes (EntryHandles keeps
 * recent ones, so a repeated hit allocates nothing); the bytes of a view are never written again, so what a
 * caller got stays valid and unchanged after the entry is replaced, removed or evicted.
 */
export class SlabStore implements Store {
  readonly #table = new EntryTable();
  readonly #index = new KeyIndex(this.#table);
  #handles = new EntryHandles();
  /**
   * The other store of a Group's pair (see `pair`): main's hot store, hot's main store. A key is in at most one
   * of the two: adding it to main removes it from hot, and hot does not take a key that main holds.
   */
  #partner: SlabStore | undefined;
  /** Where this store's slots take their places in the handle cache (see EntryHandles.add): -1 for a pair's hot store. */
  #flip = 0;
  readonly #codec = new KeyCodec();
  readonly #arena: SlabArena;
  readonly #policy: EvictionPolicy;
  readonly #overhead: number | undefined;
  readonly #slabLimit: number;
  readonly #classes: number;
  #bytes = 0;
  #gets = 0;
  #hits = 0;
  #evictions = 0;

  constructor(options: SlabStoreOptions, policy: (table: EntryTable, sizeOf: (slot: number) => number) => EvictionPolicy) {
    const { entryOverhead, maxBytes = 64 * 2 ** 20 } = options;
    if (entryOverhead !== undefined && !(Number.isSafeInteger(entryOverhead) && entryOverhead >= 0)) {
      throw new InvalidArgumentError(`expected entryOverhead to be a non-negative integer, got ${String(entryOverhead)}`);
    }
    if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
      throw new InvalidArgumentError(`expected maxBytes to be a non-negative integer, got ${String(maxBytes)}`);
    }
    const classes = classesFor(maxBytes);
    const largest = SLAB_CLASS_BYTES[classes - 1]! / 16;
    const { slabValueLimit = largest } = options;
    if (!(Number.isSafeInteger(slabValueLimit) && slabValueLimit >= 0 && slabValueLimit <= largest)) {
      throw new InvalidArgumentError(`expected slabValueLimit to be an integer from 0 to ${largest}, got ${String(slabValueLimit)}`);
    }
    this.#overhead = entryOverhead;
    this.#slabLimit = slabValueLimit;
    this.#classes = classes;
    this.#arena = new SlabArena(this.#table, classes, (slot) => this.#forgetHandle(slot));
    this.#policy = policy(this.#table, (slot) => this.#sizeOf(slot));
  }

  get bytes(): number {
    return this.#bytes;
  }

  get items(): number {
    return this.#table.size;
  }

  /**
   * Makes `main` and `hot`, two new stores of one Group, share one handle cache (see EntryHandles), so that the
   * Group's lookup (`getFromPair`) probes it once for a key in either; and keeps each key in at most one of them.
   * False, and nothing changed, unless they are two distinct empty stores that are not paired yet.
   */
  static pair(main: SlabStore, hot: SlabStore): boolean {
    if (main === hot || main.#partner !== undefined || hot.#partner !== undefined || main.items > 0 || hot.items > 0) return false;
    main.#partner = hot;
    hot.#partner = main;
    hot.#handles = main.#handles;
    hot.#flip = -1;
    return true;
  }

  /**
   * What `main.get(key) ?? hot.get(key)` returns, counted as that is (a get of hot only when main misses), for
   * two paired stores; a key whose handle either keeps costs one Map probe and no hashing in JS.
   */
  static getFromPair(main: SlabStore, hot: SlabStore, key: string, now: () => number = Date.now): StoreEntry | undefined {
    main.#gets++;
    const handle = main.#handles.get(key);
    if (handle?.owner === hot) {
      // In hot, so not in main (a pair keeps a key in one).
      hot.#gets++;
      return hot.#hit(handle, now);
    }
    const got = handle === undefined ? main.#getStored(key, now) : main.#hit(handle, now);
    if (got !== undefined) return got;
    hot.#gets++;
    return hot.#getStored(key, now);
  }

  get(key: string, now: () => number = Date.now): StoreEntry | undefined {
    this.#gets++;
    // A recently read entry: no hashing in JS, no new objects.
    const handle = this.#handles.get(key);
    if (handle !== undefined && handle.owner === this) return this.#hit(handle, now);
    return this.#getStored(key, now);
  }

  #hit(handle: EntryHandle, now: () => number): StoreEntry | undefined {
    const expire = handle.expire;
    if (expire !== undefined && expire <= now()) {
      this.#delete(handle.slot);
      return undefined;
    }
    this.#policy.accessed(handle.slot, handle.hash);
    this.#hits++;
    return handle;
  }

  /** The entry of `key` found through the index (no handle of it kept), with a handle made for it. */
  #getStored(key: string, now: () => number): StoreEntry | undefined {
    const hash = this.#codec.load(key);
    const slot = this.#find(hash);
    if (slot < 0) return undefined;
    const expire = this.#table.floats[expireIndex(slot)]!;
    if (expire !== NO_EXPIRY && expire <= now()) {
      this.#delete(slot);
      return undefined;
    }
    this.#policy.accessed(slot, hash);
    this.#hits++;
    const made = new EntryHandle(key, this, slot, hash, this.#arena.view(slot), expire === NO_EXPIRY ? undefined : expire);
    this.#handles.add(made, this.#flip);
    return made;
  }

  add(key: string, entry: StoreEntry): void {
    const value = entry.value;
    if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`expected entry.value to be a Uint8Array, got ${typeof value}`);
    const partner = this.#partner;
    if (partner !== undefined) {
      // Main (flip 0) takes the key out of hot. Main's entry is what a lookup finds first: a copy in hot would only take room.
      if (this.#flip === 0) partner.remove(key);
      else if (partner.#find(partner.#codec.load(key)) >= 0) return;
    }
    const codec = this.#codec;
    const hash = codec.load(key);
    if (codec.length + value.byteLength > MAX_ENTRY_BYTES) {
      throw new InvalidArgumentError(`expected key + value to be at most ${MAX_ENTRY_BYTES} bytes, got ${codec.length + value.byteLength}`);
    }
    const expire = entry.expire ?? NO_EXPIRY;
    let slot = this.#find(hash);
    if (slot >= 0) {
      const oldSize = this.#sizeOf(slot);
      this.#forgetHandle(slot);
      this.#arena.release(slot);
      this.#place(slot, value);
      this.#table.setExpire(slot, expire);
      const size = this.#sizeOf(slot);
      this.#bytes += size - oldSize;
      this.#policy.replaced(slot, hash, oldSize, size);
      return;
    }
    const capacity = this.#table.capacity;
    slot = this.#table.allocate();
    if (this.#table.capacity !== capacity) this.#handles.fit(this, this.#table.capacity);
    this.#table.ints[slot * STRIDE + HASH] = hash;
    this.#index.insert(slot);
    this.#place(slot, value);
    this.#table.setExpire(slot, expire);
    const size = this.#sizeOf(slot);
    this.#bytes += size;
    this.#policy.added(slot, hash, size);
  }

  remove(key: string): boolean {
    const slot = this.#find(this.#codec.load(key));
    if (slot < 0) return false;
    this.#delete(slot);
    return true;
  }

  evict(): boolean {
    const slot = this.#policy.victim();
    if (slot < 0) return false;
    this.#delete(slot);
    this.#evictions++;
    return true;
  }

  /** The key `evict()` would most likely drop next (see EvictionPolicy.peekVictim); undefined when empty. */
  peekVictim(): string | undefined {
    const slot = this.#policy.peekVictim();
    return slot < 0 ? undefined : this.#keyOf(slot);
  }

  clear(): void {
    this.#table.clear();
    this.#index.clear();
    this.#arena.clear();
    this.#handles.clear();
    this.#handles.fit(this, this.#table.capacity);
    this.#policy.clear();
    this.#bytes = 0;
  }

  /** Keys from the one kept longest to the next to be evicted (for tests and the status page). */
  *keys(): IterableIterator<string> {
    for (const slot of this.#policy.order()) yield this.#keyOf(slot);
  }

  stats(): StoreStats {
    return { bytes: this.#bytes, items: this.#table.size, gets: this.#gets, hits: this.#hits, evictions: this.#evictions };
  }

  /** The slabs held and the entries in them (for tests and benchmarks). */
  slabStats(): { allocatedBytes: number; liveBytes: number; slabs: number; evacuations: number; reused: number; entryCapacity: number; handles: number } {
    const arena = this.#arena;
    return {
      handles: this.#handles.size,
      allocatedBytes: arena.allocatedBytes,
      liveBytes: arena.liveBytes,
      slabs: arena.slabCount,
      evacuations: arena.evacuations,
      reused: arena.reused,
      entryCapacity: this.#table.capacity,
    };
  }

  /** The slot of the key loaded into the codec, -1 if absent. */
  #find(hash: number): number {
    const ints = this.#table.ints;
    const codec = this.#codec;
    for (let slot = this.#index.first(hash); slot >= 0; slot = ints[slot * STRIDE + CHAIN]!) {
      const at = slot * STRIDE;
      if (ints[at + HASH] !== hash) continue;
      const id = ints[at + SLAB]!;
      // No slab: key and value are both empty.
      if (id < 0 ? codec.length === 0 : codec.equals(this.#arena.bytesById[id]!, ints[at + OFFSET]!, ints[at + KEY_LENGTH]!)) return slot;
    }
    return -1;
  }

  #place(slot: number, value: Uint8Array): void {
    const length = this.#codec.length + value.byteLength;
    this.#arena.place(slot, this.#codec, value, length <= this.#slabLimit);
  }

  #delete(slot: number): void {
    const size = this.#sizeOf(slot);
    this.#policy.removed(slot, size);
    this.#index.remove(slot);
    this.#forgetHandle(slot);
    this.#arena.release(slot);
    this.#table.release(slot);
    this.#bytes -= size;
  }

  #forgetHandle(slot: number): void {
    this.#handles.forget(this, slot, this.#flip);
  }

  /** The bytes this store counts for an entry of `key` and a value of `valueLength` bytes. */
  countedBytes(key: string, valueLength: number): number {
    return this.#counted(Buffer.byteLength(key, "utf8") + valueLength);
  }

  /** The bytes counted for the entry in `slot`. */
  #sizeOf(slot: number): number {
    const ints = this.#table.ints;
    return this.#counted(ints[slot * STRIDE + KEY_LENGTH]! + ints[slot * STRIDE + VALUE_LENGTH]!);
  }

  /** The bytes counted for an entry of `length` key + value bytes. */
  #counted(length: number): number {
    if (this.#overhead !== undefined) return length + this.#overhead;
    const inSlab = length <= this.#slabLimit && classOf(length, this.#classes) >= 0;
    return length + this.#policy.entryOverhead + (inSlab ? SLAB_ENTRY_OVERHEAD + Math.ceil(length / 8) : OWN_BUFFER_ENTRY_OVERHEAD);
  }

  #keyOf(slot: number): string {
    const ints = this.#table.ints;
    const id = ints[slot * STRIDE + SLAB]!;
    return id < 0 ? "" : decodeKey(this.#arena.bytesById[id]!, ints[slot * STRIDE + OFFSET]!, ints[slot * STRIDE + KEY_LENGTH]!);
  }
}
