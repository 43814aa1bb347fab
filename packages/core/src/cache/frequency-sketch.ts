const SEEDS = [0x97cb3127, 0xc2b2ae35, 0x85ebca6b, 0x27d4eb2f] as const;
/** Doorkeeper bits per expected entry. */
const DOOR_BITS_PER_ENTRY = 8;
const MIN_ENTRIES = 16;
const MAX_ENTRIES = 2 ** 26;

export interface FrequencySketchOptions {
  /** Counter words (8 four-bit counters each) per expected entry, a power of two; default 2 (16 counters, as Caffeine). */
  readonly wordsPerEntry?: number;
  /** Additions per expected entry before the counts are halved; default 10 (Caffeine's sample). */
  readonly samplePerEntry?: number;
}

/**
 * How often each key was seen lately, approximately, in a few bytes per entry: TinyLFU's frequency sketch
 * (Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission Policy", 2017).
 *
 * - A count-min sketch of 4-bit counters, four per key (one in each of four words picked by the key's hash),
 *   incremented conservatively (only the smallest of the four), read as their minimum: over-estimates only.
 * - A doorkeeper: a Bloom filter that absorbs a key's first sighting, so the many keys seen once never reach
 *   the counters; it adds one to the estimate of a key it holds.
 * - Aging: after 10 additions per expected entry, every counter is halved and the doorkeeper cleared, so the
 *   sketch follows a popularity that changes.
 *
 * Sized for an expected number of entries (`ensureCapacity`): by default 8 bytes of counters (16 counters, as
 * Caffeine's sketch) and 1 byte of doorkeeper each, halved every 10 additions per entry (Caffeine's sample).
 * A sketch that must tell apart keys seen only a few times in a sample can count over a longer sample
 * (`samplePerEntry`), with more counters per entry (`wordsPerEntry`) so the additional distinct keys a longer
 * sample sees do not collide more often.
 */
export class FrequencySketch {
  #counters = new Uint32Array(0);
  #counterMask = 0;
  #door = new Uint32Array(0);
  #doorMask = 0;
  #additions = 0;
  #sampleSize = 0;
  #resets = 0;
  readonly #wordsPerEntry: number;
  readonly #samplePerEntry: number;

  /** A sketch sized for `entries` expected entries; 0 leaves it unsized (`ensureCapacity` later). */
  constructor(entries = 0, options: FrequencySketchOptions = {}) {
    const { wordsPerEntry = 2, samplePerEntry = 10 } = options;
    this.#wordsPerEntry = wordsPerEntry;
    this.#samplePerEntry = samplePerEntry;
    if (entries > 0) this.ensureCapacity(entries);
  }

  /** Whether it was sized (before that it counts nothing). */
  get sized(): boolean {
    return this.#counters.length > 0;
  }

  /** Entries the sketch is sized for. */
  get capacity(): number {
    return this.#counters.length / this.#wordsPerEntry;
  }

  /** Additions between two agings. */
  get sampleSize(): number {
    return this.#sampleSize;
  }

  /** Agings so far. */
  get resets(): number {
    return this.#resets;
  }

  /** Bytes the sketch holds. */
  get byteLength(): number {
    return this.#counters.byteLength + this.#door.byteLength;
  }

  /**
   * Grows (and clears) the sketch for `entries` expected entries; never shrinks. The counters are sized to the
   * next power of two, and the counts are halved every `samplePerEntry` additions per counter set. (Caffeine
   * halves every 10 × the maximum entries; 10 × the power of two measured as well or better on every zipf cell
   * of bench/hit-ratio.mjs, and a loop over 10 times the cache's entries no longer ages in step with the loop.)
   */
  ensureCapacity(entries: number): void {
    let size = MIN_ENTRIES;
    while (size < entries && size < MAX_ENTRIES) size *= 2;
    if (size <= this.capacity) return;
    this.#counters = new Uint32Array(size * this.#wordsPerEntry);
    this.#counterMask = this.#counters.length - 1;
    this.#door = new Uint32Array((size * DOOR_BITS_PER_ENTRY) / 32);
    this.#doorMask = size * DOOR_BITS_PER_ENTRY - 1;
    this.#sampleSize = size * this.#samplePerEntry;
    this.#additions = 0;
  }

  /**
   * Records `times` sightings of the key with this hash (as many calls with 1 would, but at once: the first
   * goes to the doorkeeper if it has not seen the key, each counter of the key is raised to at least the
   * smallest plus the rest, at most 15).
   */
  increment(hash: number, times = 1): void {
    if (this.#counters.length === 0 || times <= 0) return;
    const add = this.#admitToDoor(hash) ? times : times - 1;
    if (add > 0) {
      const counters = this.#counters;
      let min = 15;
      for (let i = 0; i < 4; i++) {
        const at = this.#spot(hash, i);
        const count = (counters[at >>> 3]! >>> ((at & 7) << 2)) & 15;
        if (count < min) min = count;
      }
      if (min < 15) {
        const target = Math.min(15, min + add);
        for (let i = 0; i < 4; i++) {
          const at = this.#spot(hash, i);
          const shift = (at & 7) << 2;
          const count = (counters[at >>> 3]! >>> shift) & 15;
          if (count < target) counters[at >>> 3] = counters[at >>> 3]! + ((target - count) << shift);
        }
      }
    }
    this.#additions += times;
    if (this.#additions >= this.#sampleSize) this.#age();
  }

  /** The estimated sightings of the key with this hash since about the last aging (0 to 16). */
  frequency(hash: number): number {
    const counters = this.#counters;
    if (counters.length === 0) return 0;
    let min = 15;
    for (let i = 0; i < 4; i++) {
      const at = this.#spot(hash, i);
      const count = (counters[at >>> 3]! >>> ((at & 7) << 2)) & 15;
      if (count < min) min = count;
    }
    return min + (this.#inDoor(hash) ? 1 : 0);
  }

  /** Counter `i` of a hash, as word index * 8 + nibble. */
  #spot(hash: number, i: number): number {
    let x = Math.imul(hash ^ SEEDS[i as 0 | 1 | 2 | 3], 0x9e3779b1);
    x ^= x >>> 15;
    return ((x & this.#counterMask) << 3) | (x >>> 29);
  }

  /** Whether the doorkeeper had already seen the hash; records it if not. */
  #admitToDoor(hash: number): boolean {
    const a = Math.imul(hash, 0x2545f491) & this.#doorMask;
    const b = Math.imul(hash ^ (hash >>> 16), 0x5bd1e995) & this.#doorMask;
    const door = this.#door;
    const seen = (door[a >>> 5]! & (1 << (a & 31))) !== 0 && (door[b >>> 5]! & (1 << (b & 31))) !== 0;
    if (!seen) {
      door[a >>> 5] = door[a >>> 5]! | (1 << (a & 31));
      door[b >>> 5] = door[b >>> 5]! | (1 << (b & 31));
    }
    return seen;
  }

  #inDoor(hash: number): boolean {
    const a = Math.imul(hash, 0x2545f491) & this.#doorMask;
    const b = Math.imul(hash ^ (hash >>> 16), 0x5bd1e995) & this.#doorMask;
    return (this.#door[a >>> 5]! & (1 << (a & 31))) !== 0 && (this.#door[b >>> 5]! & (1 << (b & 31))) !== 0;
  }

  /** Halves every counter and clears the doorkeeper. */
  #age(): void {
    const counters = this.#counters;
    for (let i = 0; i < counters.length; i++) counters[i] = (counters[i]! >>> 1) & 0x77777777;
    this.#door.fill(0);
    this.#additions = 0;
    this.#resets++;
  }
}
