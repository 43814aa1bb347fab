/** The shadow follows at least this many entries when the store has as many (fewer make a noisy estimate). */
const MIN_SAMPLED_ENTRIES = 4096;

/**
 * What plain LRU would have hit on the same requests, estimated on a sample of the keys (spatial sampling, as
 * SHARDS does: a key is in the sample by its hash, and the shadow cache gets the same share of the capacity).
 * Keeps only the sampled keys' hashes and sizes, in a Map in recency order. The W-TinyLFU policy compares its
 * own hit rate on the sampled keys with this one to tell when recency beats frequency.
 */
export class LruShadow {
  readonly #entries = new Map<number, number>();
  #bytes = 0;
  #capacity: number;
  #shift = 0;
  readonly #fullCapacity: number;
  #hits = 0;
  #ownHits = 0;
  #requests = 0;
  /** The hash of the most recent request (the newest entry, if it is still held). */
  #newest: number | undefined;

  constructor(capacity: number) {
    this.#fullCapacity = capacity;
    this.#capacity = capacity;
  }

  /** Samples 1 key in 2^k so that about MIN_SAMPLED_ENTRIES of `entries` are followed; starts afresh. */
  resize(entries: number): void {
    let shift = 0;
    while (shift < 16 && entries >> (shift + 1) >= MIN_SAMPLED_ENTRIES) shift++;
    if (shift === this.#shift) return;
    this.#shift = shift;
    this.#capacity = this.#fullCapacity / 2 ** shift;
    this.#entries.clear();
    this.#newest = undefined;
    this.#bytes = 0;
    this.reset();
  }

  /** Whether the key with this hash is in the sample. */
  sampled(hash: number): boolean {
    return this.#shift === 0 || hash >>> (32 - this.#shift) === 0;
  }

  /** A request for a sampled key of `size` bytes, which the real store hit or not. */
  request(hash: number, size: number, ownHit: boolean): void {
    this.#requests++;
    if (ownHit) this.#ownHits++;
    const entries = this.#entries;
    const known = entries.get(hash);
    if (known !== undefined && hash === this.#newest && known === size) {
      // Already the most recent: nothing moves (a Map delete and set cost more than the rest of a hit).
      this.#hits++;
      return;
    }
    this.#newest = hash;
    if (known !== undefined) {
      this.#hits++;
      entries.delete(hash);
      this.#bytes -= known;
    }
    entries.set(hash, size);
    this.#bytes += size;
    while (this.#bytes > this.#capacity) {
      const oldest = entries.entries().next();
      if (oldest.done === true) break;
      entries.delete(oldest.value[0]);
      this.#bytes -= oldest.value[1];
    }
  }

  /** `times` requests in a row for a sampled key of `size` bytes, each a hit of the real store. */
  repeat(hash: number, size: number, times: number): void {
    this.request(hash, size, true);
    // The key is now the most recent: the rest are hits that move nothing.
    this.#requests += times - 1;
    this.#ownHits += times - 1;
    this.#hits += times - 1;
  }

  /** Requests for sampled keys since the last reset. */
  get requests(): number {
    return this.#requests;
  }

  /** How many more points LRU hit than the real store on the sampled requests since the last reset. */
  advantage(): number {
    return this.#requests === 0 ? 0 : (this.#hits - this.#ownHits) / this.#requests;
  }

  reset(): void {
    this.#hits = this.#ownHits = this.#requests = 0;
  }
}
