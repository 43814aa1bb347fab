import { LruShadow } from "./lru-shadow.js";
import { WindowClimber } from "./window-climber.js";

/** Sampled requests between two comparisons with the LRU shadow. */
const GUARD_REQUESTS = 4096;
/** The shadow's lead in hit ratio that grows the window at once, and by how much of the capacity. */
const GUARD_LEAD = 0.01;
const GUARD_STEP = 0.25;

/**
 * Decides how the W-TinyLFU window's limit should move, from the requests it is told about: by hill climbing on
 * the hit rate every sample (WindowClimber, as Caffeine), and, sooner, a quarter of the capacity towards LRU
 * whenever an LRU shadow on sampled keys (LruShadow) hit at least a point more than the store on the last 4,096
 * sampled requests. A hill climber alone needs many samples to follow a hot set that changes, and loses to
 * LRU meanwhile; the shadow sees the same requests, so the comparison does not mistake a change of workload
 * for the effect of the last step.
 */
export class WindowTuner {
  readonly #climber: WindowClimber;
  readonly #shadow: LruShadow;
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#climber = new WindowClimber(capacity);
    this.#shadow = new LruShadow(capacity);
  }

  /** The store holds about this many entries (sizes the shadow's sample). */
  entries(count: number): void {
    this.#shadow.resize(count);
  }

  /** Whether requests for the key with this hash need their size (it is in the shadow's sample). */
  sampled(hash: number): boolean {
    return this.#shadow.sampled(hash);
  }

  /** A hit on the key with this hash, of `size` bytes (needed only if `sampled(hash)`). */
  hit(hash: number, size: number): void {
    this.#climber.hit();
    if (this.#shadow.sampled(hash)) this.#shadow.request(hash, size, true);
  }

  /** A miss (a new entry) for the key with this hash, of `size` bytes. */
  miss(hash: number, size: number): void {
    this.#climber.miss();
    if (this.#shadow.sampled(hash)) this.#shadow.request(hash, size, false);
  }

  /**
   * Bytes to add to (> 0) or take from (< 0) the window's limit now. `sampleSize` is the climber's sample in
   * requests; 0 while the store is still filling (nothing is judged then).
   */
  adjustment(sampleSize: number): number {
    if (sampleSize === 0) return this.#climber.adjustment(0);
    let amount = 0;
    if (this.#shadow.requests >= GUARD_REQUESTS) {
      const lead = this.#shadow.advantage();
      this.#shadow.reset();
      if (lead > GUARD_LEAD) amount += GUARD_STEP * this.#capacity;
    }
    return amount + this.#climber.adjustment(sampleSize);
  }
}
