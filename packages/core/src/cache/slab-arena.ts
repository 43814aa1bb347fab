/** A value that lives in a slab: where its bytes are, kept up to date by the arena. */
export interface SlabResident {
  /**
   * The slab with the bytes. Kept after a release: the bytes are never overwritten, so whoever still holds
   * the entry (a get that resolves a microtask later, while another request evicted it) reads them intact.
   */
  slab: Slab | undefined;
  offset: number;
  /** Index in the slab's resident list; -1 when not placed or released. */
  slot: number;
  /** The value's length in bytes. */
  readonly length: number;
  /** The bytes moved to another slab: drop anything that refers to the old place. */
  moved(): void;
}

/** One shared buffer that values are appended to; never written again where a value was handed out. */
export class Slab {
  readonly bytes: Uint8Array;
  /** Bytes appended so far (the next value goes here). */
  used = 0;
  /** Bytes of values still stored here. */
  live = 0;
  readonly residents: (SlabResident | undefined)[] = [];

  constructor(size: number) {
    // Only appended regions are ever exposed, so the slab need not be zeroed.
    this.bytes = Buffer.allocUnsafeSlow(size);
  }
}

/** Size of a slab. */
export const SLAB_BYTES = 32 * 1024;
/**
 * Largest value kept in slabs: 1/16 of a slab, so the unused tail of a full slab is at most 1/16 of it.
 * Larger values keep their own ArrayBuffer, whose ~250 bytes of bookkeeping are under 12% of them.
 */
export const SLAB_VALUE_LIMIT = SLAB_BYTES / 16;

/**
 * Values of an LruStore packed into shared slabs instead of one ArrayBuffer each. A separate ArrayBuffer
 * costs about 250 bytes beyond its contents on Node 20 (the JSArrayBuffer, V8's backing-store record and
 * its extension, malloc's header), which doubles the memory of a 128-byte value; and the C heap those
 * small blocks come from fragments when entries churn, so RSS grows well past the live bytes.
 *
 * Values are appended to the newest slab and never overwritten, so a view handed to a caller stays valid
 * for as long as the caller holds it (it keeps its slab alive, as a pooled Buffer keeps Node's pool).
 * Removing a value only marks its bytes dead, and a slab whose values are all gone is dropped. When the
 * dead bytes still exceed 1/8 of the live ones (plus two slabs), the emptiest of the oldest slabs has its
 * live values copied to the newest slab and is dropped. Under LRU eviction the oldest slabs are nearly
 * empty, so this copies little; only a slab at least 1/4 dead is worth copying, so in the worst case
 * (every slab just under 1/4 dead) the slabs hold 4/3 of the live bytes.
 */
export class SlabArena {
  /** Oldest first (a Set iterates in insertion order and deletes in O(1)). */
  readonly #slabs = new Set<Slab>();
  #current: Slab | undefined;
  #allocated = 0;
  #live = 0;
  /** After a search found no slab worth copying: the dead bytes to wait for before searching again. */
  #searchAgainAt = 0;
  #evacuations = 0;

  /** Bytes of all slabs held. */
  get allocatedBytes(): number {
    return this.#allocated;
  }

  /** Bytes of the values stored. */
  get liveBytes(): number {
    return this.#live;
  }

  get slabCount(): number {
    return this.#slabs.size;
  }

  /** Slabs whose live values were copied out so far. */
  get evacuations(): number {
    return this.#evacuations;
  }

  /** Copies `value` into the newest slab and records where it is in `resident`. */
  place(resident: SlabResident, value: Uint8Array): void {
    this.#append(resident, value);
    this.#compact();
  }

  /** The resident's bytes are dead. */
  release(resident: SlabResident): void {
    const slab = resident.slab;
    if (slab === undefined || resident.slot < 0) return;
    slab.residents[resident.slot] = undefined;
    resident.slot = -1;
    slab.live -= resident.length;
    this.#live -= resident.length;
    if (slab.live === 0 && slab !== this.#current) this.#drop(slab);
  }

  clear(): void {
    for (const slab of this.#slabs) for (const resident of slab.residents) if (resident !== undefined) resident.slot = -1;
    this.#slabs.clear();
    this.#current = undefined;
    this.#allocated = this.#live = this.#searchAgainAt = 0;
  }

  #append(resident: SlabResident, value: Uint8Array): void {
    const length = value.byteLength;
    let slab = this.#current;
    if (slab === undefined || slab.used + length > slab.bytes.byteLength) slab = this.#newSlab(Math.max(SLAB_BYTES, length));
    slab.bytes.set(value, slab.used);
    resident.slab = slab;
    resident.offset = slab.used;
    resident.slot = slab.residents.push(resident) - 1;
    slab.used += length;
    slab.live += length;
    this.#live += length;
  }

  #newSlab(size: number): Slab {
    const previous = this.#current;
    const slab = new Slab(size);
    this.#slabs.add(slab);
    this.#allocated += slab.bytes.byteLength;
    this.#current = slab;
    if (previous !== undefined && previous.live === 0) this.#drop(previous);
    return slab;
  }

  #drop(slab: Slab): void {
    if (this.#slabs.delete(slab)) this.#allocated -= slab.bytes.byteLength;
  }

  #compact(): void {
    while (this.#allocated > this.#live + this.#live / 8 + 2 * SLAB_BYTES) {
      const dead = this.#allocated - this.#live;
      if (dead < this.#searchAgainAt) return;
      // Copying a slab's live bytes costs up to one slab tail (1/16) of new waste: only a slab at least
      // 1/4 dead is a net gain, which also guarantees that this loop ends.
      const victim = this.#emptiest(16) ?? this.#emptiest(Infinity);
      if (victim === undefined) {
        this.#searchAgainAt = dead + SLAB_BYTES;
        return;
      }
      this.#searchAgainAt = 0;
      this.#evacuate(victim);
    }
  }

  /** Of the `among` oldest slabs (the newest excluded), the one with the fewest live bytes, if it is at least 1/4 dead. */
  #emptiest(among: number): Slab | undefined {
    let best: Slab | undefined;
    let seen = 0;
    for (const slab of this.#slabs) {
      if (slab === this.#current) continue;
      if (best === undefined || slab.live < best.live) best = slab;
      if (++seen === among) break;
    }
    return best !== undefined && best.live <= (best.bytes.byteLength * 3) / 4 ? best : undefined;
  }

  #evacuate(slab: Slab): void {
    for (const resident of slab.residents) {
      if (resident === undefined) continue;
      const bytes = slab.bytes.subarray(resident.offset, resident.offset + resident.length);
      slab.live -= resident.length;
      this.#live -= resident.length;
      this.#append(resident, bytes);
      resident.moved();
    }
    this.#drop(slab);
    this.#evacuations++;
  }
}
