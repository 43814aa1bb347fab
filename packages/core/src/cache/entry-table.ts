/**
 * Int32 fields of an entry record. A record is STRIDE int32s (40 bytes) in one shared buffer, so an entry is
 * no JS object: a lookup touches one or two cache lines and the GC sees one large buffer.
 */
export const HASH = 0;
/** Next slot in the same index bucket, -1 at the end. */
export const CHAIN = 1;
/** Neighbours in the eviction policy's list (towards the most / least recently used end), -1 at the ends. */
export const PREV = 2;
export const NEXT = 3;
/** Slab id of the entry's bytes (key, then value), -1 when both are empty. */
export const SLAB = 4;
export const OFFSET = 5;
export const KEY_LENGTH = 6;
export const VALUE_LENGTH = 7;
/** The expiry (ms since the epoch, +Infinity for none) is the float64 at int32 fields 8–9. */
const EXPIRE_FLOAT = 4;
export const STRIDE = 10;
const FLOATS_PER_RECORD = STRIDE / 2;

/** Bytes of one record. */
export const RECORD_BYTES = STRIDE * 4;

const INITIAL_CAPACITY = 64;

/**
 * The entries of a store as records in one ArrayBuffer, addressed by slot number. Free slots are reused
 * last-freed first, so the records in use stay packed at the start of the buffer (the untouched end of a
 * grown buffer costs address space, not memory). Growing doubles the buffer; callers re-read `ints` and
 * `floats` after any call that may allocate.
 */
export class EntryTable {
  ints: Int32Array;
  floats: Float64Array;
  #capacity: number;
  /** Slots in use. */
  #size = 0;
  /** Slots ever handed out; those from here on were never used. */
  #highWater = 0;
  /** Head of the free list, linked through NEXT; -1 when empty. */
  #free = -1;

  constructor(capacity = INITIAL_CAPACITY) {
    this.#capacity = capacity;
    const buffer = new ArrayBuffer(capacity * RECORD_BYTES);
    this.ints = new Int32Array(buffer);
    this.floats = new Float64Array(buffer);
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** A free slot, its fields unset. */
  allocate(): number {
    let slot = this.#free;
    if (slot >= 0) {
      this.#free = this.ints[slot * STRIDE + NEXT]!;
    } else {
      if (this.#highWater === this.#capacity) this.#grow();
      slot = this.#highWater++;
    }
    this.#size++;
    return slot;
  }

  release(slot: number): void {
    const at = slot * STRIDE;
    this.ints[at + SLAB] = -1;
    this.ints[at + NEXT] = this.#free;
    this.#free = slot;
    this.#size--;
  }

  expireOf(slot: number): number {
    return this.floats[slot * FLOATS_PER_RECORD + EXPIRE_FLOAT]!;
  }

  setExpire(slot: number, expire: number): void {
    this.floats[slot * FLOATS_PER_RECORD + EXPIRE_FLOAT] = expire;
  }

  /** Forgets every entry; the buffer shrinks back to its initial size. */
  clear(): void {
    this.#capacity = INITIAL_CAPACITY;
    const buffer = new ArrayBuffer(INITIAL_CAPACITY * RECORD_BYTES);
    this.ints = new Int32Array(buffer);
    this.floats = new Float64Array(buffer);
    this.#size = this.#highWater = 0;
    this.#free = -1;
  }

  #grow(): void {
    this.#capacity *= 2;
    const buffer = new ArrayBuffer(this.#capacity * RECORD_BYTES);
    const ints = new Int32Array(buffer);
    ints.set(this.ints);
    this.ints = ints;
    this.floats = new Float64Array(buffer);
  }
}

/** Expiry stored for an entry without one. */
export const NO_EXPIRY = Number.POSITIVE_INFINITY;

/** The float64 index of a slot's expiry, for hot paths that read `floats` directly. */
export const expireIndex = (slot: number): number => slot * FLOATS_PER_RECORD + EXPIRE_FLOAT;
