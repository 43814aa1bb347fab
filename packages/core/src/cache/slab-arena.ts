import { type EntryTable, KEY_LENGTH, OFFSET, SLAB, STRIDE, VALUE_LENGTH } from "./entry-table.js";
import type { KeyCodec } from "./key-codec.js";
import { SLAB_CLASS_BYTES, classOf } from "./size-classes.js";
import { Slab } from "./slab.js";

const EMPTY = new Uint8Array(0);
/** Unexposed empty slabs kept per class for reuse (LRU churn empties the oldest slab as the newest fills). */
const POOL_LIMIT = 2;

/** The slabs of one size class. */
class SizeClass {
  readonly slabBytes: number;
  /** Oldest first (a Set iterates in insertion order and deletes in O(1)); the pool excluded. */
  readonly slabs = new Set<Slab>();
  readonly pool: Slab[] = [];
  current: Slab | undefined;
  allocated = 0;
  live = 0;
  /** After a search found no slab worth copying: the dead bytes to wait for before searching again. */
  searchAgainAt = 0;

  constructor(slabBytes: number) {
    this.slabBytes = slabBytes;
  }
}

/**
 * Where entries' bytes live: each entry is one region, its key's UTF-8 bytes then its value, appended to the
 * newest slab of its size class (see size-classes.ts), or a buffer of its own when larger. Regions are never
 * overwritten once a view of their slab was handed out, so a value a caller holds stays valid and unchanged
 * for as long as the caller holds it (the view keeps its slab alive, as a pooled Buffer keeps Node's pool).
 *
 * Removing an entry only marks its bytes dead. An empty slab is reused from its start if no view of it was
 * ever handed out, and dropped otherwise. When a class's dead bytes exceed 1/8 of its live ones (plus two
 * slabs), the emptiest of its oldest slabs has its live regions copied to the newest slab and is dropped or
 * reused. Under LRU eviction the oldest slabs are nearly empty, so this copies little; only a slab at least
 * 1/4 dead is worth copying, so in the worst case (every slab just under 1/4 dead) the slabs hold 4/3 of
 * the live bytes.
 */
export class SlabArena {
  /** Slab bytes by slab id, for the store's hot paths. */
  readonly bytesById: (Uint8Array | undefined)[] = [];
  readonly #slabs: (Slab | undefined)[] = [];
  readonly #freeIds: number[] = [];
  readonly #classes: SizeClass[];
  readonly #table: EntryTable;
  /** Called for a slot whose bytes were copied elsewhere: views made before still show the old copy. */
  readonly #moved: (slot: number) => void;
  #ownBytes = 0;
  #ownLive = 0;
  #evacuations = 0;
  #reused = 0;

  constructor(table: EntryTable, classes: number, moved: (slot: number) => void) {
    this.#table = table;
    this.#moved = moved;
    this.#classes = SLAB_CLASS_BYTES.slice(0, classes).map((bytes) => new SizeClass(bytes));
  }

  /** Bytes of all slabs held, empty pooled ones included. */
  get allocatedBytes(): number {
    let sum = this.#ownBytes;
    for (const c of this.#classes) sum += c.allocated + c.pool.length * c.slabBytes;
    return sum;
  }

  /** Bytes of the entries stored. */
  get liveBytes(): number {
    let sum = this.#ownLive;
    for (const c of this.#classes) sum += c.live;
    return sum;
  }

  get slabCount(): number {
    return this.#slabs.length - this.#freeIds.length;
  }

  /** Slabs whose live entries were copied out so far. */
  get evacuations(): number {
    return this.#evacuations;
  }

  /** Empty slabs reused instead of allocating new ones. */
  get reused(): number {
    return this.#reused;
  }

  /** How many classes are in use. */
  get classes(): number {
    return this.#classes.length;
  }

  /**
   * Copies the codec's key and `value` into a region and records where in the slot's fields: in a slab of its
   * size class if `shared` and a class holds that size, else in a buffer of its own.
   */
  place(slot: number, codec: KeyCodec, value: Uint8Array, shared: boolean): void {
    const keyLength = codec.length;
    const valueLength = value.byteLength;
    const length = keyLength + valueLength;
    const ints = this.#table.ints;
    const at = slot * STRIDE;
    ints[at + KEY_LENGTH] = keyLength;
    ints[at + VALUE_LENGTH] = valueLength;
    if (length === 0) {
      ints[at + SLAB] = -1;
      ints[at + OFFSET] = 0;
      return;
    }
    const c = shared ? classOf(length, this.#classes.length) : -1;
    const slab = c < 0 ? this.#own(length) : this.#room(this.#classes[c]!, length);
    const offset = slab.used;
    codec.write(slab.bytes, offset);
    slab.bytes.set(value, offset + keyLength);
    this.#record(slab, slot, offset, length);
    if (c >= 0) this.#compact(this.#classes[c]!);
  }

  /** The slot's bytes are dead. */
  release(slot: number): void {
    const ints = this.#table.ints;
    const at = slot * STRIDE;
    const id = ints[at + SLAB]!;
    if (id < 0) return;
    const slab = this.#slabs[id]!;
    const length = ints[at + KEY_LENGTH]! + ints[at + VALUE_LENGTH]!;
    ints[at + SLAB] = -1;
    slab.live -= length;
    if (slab.sizeClass < 0) {
      this.#ownLive -= length;
      this.#ownBytes -= slab.bytes.byteLength;
      this.#forget(slab);
      return;
    }
    const sizeClass = this.#classes[slab.sizeClass]!;
    sizeClass.live -= length;
    if (slab.live === 0 && slab !== sizeClass.current) this.#retire(sizeClass, slab);
  }

  /** A view of the slot's value; its slab is never written again where it was handed out. */
  view(slot: number): Uint8Array {
    const ints = this.#table.ints;
    const at = slot * STRIDE;
    const id = ints[at + SLAB]!;
    const length = ints[at + VALUE_LENGTH]!;
    if (length === 0) return EMPTY;
    const slab = this.#slabs[id]!;
    slab.exposed = true;
    const bytes = slab.bytes;
    return new Uint8Array(bytes.buffer, bytes.byteOffset + ints[at + OFFSET]! + ints[at + KEY_LENGTH]!, length);
  }

  clear(): void {
    this.bytesById.length = this.#slabs.length = this.#freeIds.length = 0;
    for (let c = 0; c < this.#classes.length; c++) this.#classes[c] = new SizeClass(this.#classes[c]!.slabBytes);
    this.#ownBytes = this.#ownLive = 0;
  }

  /** A slab of `sizeClass` with room for `length` more bytes: the current one, or a reused or new one. */
  #room(sizeClass: SizeClass, length: number): Slab {
    const current = sizeClass.current;
    if (current !== undefined && current.used + length <= current.bytes.byteLength) return current;
    let slab = sizeClass.pool.pop();
    if (slab === undefined) {
      const c = this.#classes.indexOf(sizeClass);
      slab = this.#newSlab(c, sizeClass.slabBytes, c === 0 ? 128 : 16);
    } else {
      this.#reused++;
    }
    sizeClass.slabs.add(slab);
    sizeClass.allocated += sizeClass.slabBytes;
    sizeClass.current = slab;
    if (current !== undefined && current.live === 0) this.#retire(sizeClass, current);
    return slab;
  }

  #own(length: number): Slab {
    const slab = this.#newSlab(-1, length, 0);
    this.#ownBytes += length;
    return slab;
  }

  #newSlab(sizeClass: number, size: number, residents: number): Slab {
    const id = this.#freeIds.pop() ?? this.#slabs.length;
    const slab = new Slab(id, sizeClass, size, residents);
    this.#slabs[id] = slab;
    this.bytesById[id] = slab.bytes;
    return slab;
  }

  #record(slab: Slab, slot: number, offset: number, length: number): void {
    const ints = this.#table.ints;
    ints[slot * STRIDE + SLAB] = slab.id;
    ints[slot * STRIDE + OFFSET] = offset;
    if (slab.sizeClass >= 0) slab.addResident(slot);
    slab.used += length;
    slab.live += length;
    if (slab.sizeClass < 0) this.#ownLive += length;
    else this.#classes[slab.sizeClass]!.live += length;
  }

  /** An empty slab that is not the one being filled: reused if it was never exposed and the pool has room, else dropped. */
  #retire(sizeClass: SizeClass, slab: Slab): void {
    if (!sizeClass.slabs.delete(slab)) return;
    sizeClass.allocated -= sizeClass.slabBytes;
    if (sizeClass.current === slab) sizeClass.current = undefined;
    if (!slab.exposed && sizeClass.pool.length < POOL_LIMIT) {
      slab.reset();
      sizeClass.pool.push(slab);
    } else {
      this.#forget(slab);
    }
  }

  #forget(slab: Slab): void {
    this.#slabs[slab.id] = undefined;
    this.bytesById[slab.id] = undefined;
    this.#freeIds.push(slab.id);
  }

  #compact(sizeClass: SizeClass): void {
    const slack = 2 * sizeClass.slabBytes;
    while (sizeClass.allocated > sizeClass.live + sizeClass.live / 8 + slack) {
      const dead = sizeClass.allocated - sizeClass.live;
      if (dead < sizeClass.searchAgainAt) return;
      // Copying a slab's live bytes costs up to one slab tail (1/16) of new waste: only a slab at least
      // 1/4 dead is a net gain, which also guarantees that this loop ends.
      const victim = emptiest(sizeClass, 16) ?? emptiest(sizeClass, Infinity);
      if (victim === undefined) {
        sizeClass.searchAgainAt = dead + sizeClass.slabBytes;
        return;
      }
      sizeClass.searchAgainAt = 0;
      this.#evacuate(sizeClass, victim);
    }
  }

  #evacuate(sizeClass: SizeClass, slab: Slab): void {
    const ints = this.#table.ints;
    for (let i = 0; i < slab.count; i++) {
      const slot = slab.residents[i]!;
      const at = slot * STRIDE;
      // A slot removed since (or removed and used again elsewhere) no longer points here.
      if (ints[at + SLAB] !== slab.id) continue;
      const offset = ints[at + OFFSET]!;
      const length = ints[at + KEY_LENGTH]! + ints[at + VALUE_LENGTH]!;
      slab.live -= length;
      sizeClass.live -= length;
      const target = this.#room(sizeClass, length);
      const to = target.used;
      target.bytes.set(slab.bytes.subarray(offset, offset + length), to);
      this.#record(target, slot, to, length);
      this.#moved(slot);
    }
    this.#retire(sizeClass, slab);
    this.#evacuations++;
  }
}

/** Of the `among` oldest slabs of a class (the newest excluded), the one with the fewest live bytes, if it is at least 1/4 dead. */
function emptiest(sizeClass: SizeClass, among: number): Slab | undefined {
  let best: Slab | undefined;
  let seen = 0;
  for (const slab of sizeClass.slabs) {
    if (slab === sizeClass.current) continue;
    if (best === undefined || slab.live < best.live) best = slab;
    if (++seen === among) break;
  }
  return best !== undefined && best.live <= (best.bytes.byteLength * 3) / 4 ? best : undefined;
}
