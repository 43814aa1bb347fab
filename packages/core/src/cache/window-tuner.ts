import { LruShadow } from "./lru-shadow.js";
import { WindowClimber } from "./window-climber.js";

/** Sampled requests between two comparisons with the LRU shadow. */
const GUARD_REQUESTS = 4096;
/** The shadow's lead in hit ratio that grows the window at once, and by how much of the capacity. */
const GUARD_LEAD = 0.01;
const GUARD_STEP = 0.25;
/**
 * The climber judges at least this many requests at a time. Caffeine's sample (10 requests per entry)
 * is noise for a small cache: at 100 entries, 1,000 requests measure the hit rate ±1.5 points, more than one step
 * changes it, so the window wandered at random (to a quarter of the capacity on zipf traces, costing 2 points);
 * 32,768 requests measure it ±0.3.
 */
const MIN_CLIMB_SAMPLE = 32_768;

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

  /** `times` hits in a row on the key with this hash, of `size` bytes (needed only if `sampled(hash)`). */
  hits(hash: number, times: number, size: number): void {
    this.#climber.hit(times);
    if (this.#shadow.sampled(hash)) this.#shadow.repeat(hash, size, times);
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
    return amount + this.#climber.adjustment(Math.max(MIN_CLIMB_SAMPLE, sampleSize));
  }
}
