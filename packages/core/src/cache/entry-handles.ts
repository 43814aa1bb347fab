import type { StoreEntry } from "../interfaces/store.js";

/** What a store hands out for a hit: the value (a view of the cached bytes) and the expiry; also where the entry is. */
export class EntryHandle implements StoreEntry {
  readonly value: Uint8Array;
  readonly expire: number | undefined;
  readonly key: string;
  /** The store the entry is in (a Group's main and hot stores share one EntryHandles). */
  readonly owner: object;
  readonly slot: number;
  readonly hash: number;
  /** The Group's settled promise of `value` (core's own stores only; others are memoized by the Group's WeakMap). */
  resolved: Promise<Uint8Array> | undefined = undefined;
  /** Reads of this handle from the cache not yet spent defending its place against newcomers (EntryHandles). */
  heat = 0;

  constructor(key: string, owner: object, slot: number, hash: number, value: Uint8Array, expire: number | undefined) {
    this.key = key;
    this.owner = owner;
    this.slot = slot;
    this.hash = hash;
    this.value = value;
    this.expire = expire;
  }
}

const MIN_SIZE = 64;
/** At most this many handles are kept, however large the store: a few MiB of V8 heap. */
export const MAX_HANDLES = 16_384;
/** A handle read this many times since it last defended its place refuses as many newcomers to it. */
const MAX_HEAT = 3;

/**
 * Handles of recently read entries, so that reading the same entry again costs one Map lookup and returns the
 * same object: a repeated hit allocates nothing, and the engine can memoize what it derives from a value by
 * the value's identity. Without it a hit would hash the key in JS and compare it with the stored bytes, both
 * a char at a time, while a Map hashes natively (and caches the hash in the string).
 *
 * Direct-mapped by slot, one per 8 entries up to MAX_HANDLES, so the V8 heap holds a bounded number of objects
 * whatever the number of entries. A handle is forgotten when its entry changes, moves or goes; whoever holds it
 * still reads the bytes it showed.
 *
 * A Group's main and hot stores share one (see SlabStore.pair): a key is in at most one of them, so one probe
 * finds it in either, where two stores of their own cost a probe of each for every key this node does not own
 * (zipf bench: two reads in three). The places are shared too, sized for the entries of both, and a handle
 * names its owner, so that a store forgets only its own. The second store's slots take the places in reverse
 * order: each store fills its slots from 0, so its first entries would otherwise fight the other's first for
 * the same places (a scratch simulation that filled both in popularity order missed 37 % of lookups, not 9 %).
 *
 * A newcomer displaces the handle in its place only once that handle's heat is spent: each read from the cache
 * adds one (up to MAX_HEAT), each refused newcomer takes one. Without it, the long tail of a skewed workload
 * replaced hot handles all the time, and every replaced handle had lived long enough to be promoted out of the
 * young generation, to be collected by a major GC (zipf bench, 3 nodes, 10k keys: this rule took the bytes a
 * node promoted per scavenge from 87–91 KB to 47–55 KB). Even then, a newcomer takes the place only when it is
 * read twice with no other newcomer to that place in between (the place remembers the last newcomer's hash):
 * over a long tail, a key read once in a while never displaces anything (same bench, 1 KiB values, 128 clients,
 * two runs each: 42–58 KB promoted per scavenge without this rule, 23–41 KB with it). A refused handle is still
 * returned: it dies young, which costs the GC almost nothing.
 */
export class EntryHandles {
  readonly #byKey = new Map<string, EntryHandle>();
  #bySlot: (EntryHandle | undefined)[] = new Array<EntryHandle | undefined>(MIN_SIZE).fill(undefined);
  /** Per place, the hash of the last newcomer it refused. */
  #newcomers = new Int32Array(MIN_SIZE);
  #mask = MIN_SIZE - 1;
  /** The slots of each store using this cache, which size it. */
  readonly #entries = new Map<object, number>();

  get(key: string): EntryHandle | undefined {
    const handle = this.#byKey.get(key);
    if (handle !== undefined && handle.heat < MAX_HEAT) handle.heat++;
    return handle;
  }

  /** `flip` is the owner's: 0, or -1 for the second store of a pair, whose slots take the places in reverse. */
  add(handle: EntryHandle, flip: number): void {
    const i = (handle.slot ^ flip) & this.#mask;
    const old = this.#bySlot[i];
    if (old !== undefined) {
      if (old.heat > 0) {
        old.heat--;
        this.#newcomers[i] = handle.hash;
        return;
      }
      if (this.#newcomers[i] !== handle.hash) {
        this.#newcomers[i] = handle.hash;
        return;
      }
      this.#byKey.delete(old.key);
    }
    this.#bySlot[i] = handle;
    this.#byKey.set(handle.key, handle);
  }

  forget(owner: object, slot: number, flip: number): void {
    const i = (slot ^ flip) & this.#mask;
    const old = this.#bySlot[i];
    if (old !== undefined && old.slot === slot && old.owner === owner) {
      this.#bySlot[i] = undefined;
      this.#byKey.delete(old.key);
    }
  }

  /** Sizes the cache for `owner`'s `entries` slots and its sharer's (forgetting every handle when the size changes). */
  fit(owner: object, entries: number): void {
    this.#entries.set(owner, entries);
    let total = 0;
    for (const n of this.#entries.values()) total += n;
    let size = MIN_SIZE;
    while (size < MAX_HANDLES && size * 8 < total) size *= 2;
    if (size !== this.#bySlot.length) this.#reset(size);
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Forgets every handle (a sharer's too: they are only a cache). */
  clear(): void {
    this.#reset(this.#bySlot.length);
  }

  #reset(size: number): void {
    this.#byKey.clear();
    this.#bySlot = new Array<EntryHandle | undefined>(size).fill(undefined);
    this.#newcomers = new Int32Array(size);
    this.#mask = size - 1;
  }
}
