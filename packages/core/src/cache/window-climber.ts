/** A hit-rate change this large (in either direction) restarts the climb with a full step. */
const RESTART_THRESHOLD = 0.05;
/** A full step: this share of the capacity. */
const STEP_PERCENT = 0.0625;
/** Each sample without a large change shrinks the step by this factor. */
const STEP_DECAY = 0.98;
/**
 * A change of the hit rate within this many standard errors of a difference of two samples' hit rates
 * (sqrt(2 p (1 - p) / n)) is noise: the window stays, and the step decays. Caffeine moves on every change,
 * however small: near the optimum a step changes the hit rate by less than a sample's noise, so the window took
 * a random walk (between 2 and 17% of the capacity on bench/hit-ratio.mjs's stationary zipf traces). Measured
 * there: -0.1 to +0.4 points on zipf, +0.8 to +2.6 with periodic scans (the window no longer drifts away between
 * scans), -0.3 to +0.1 on the shifting hot set (a shift changes the hit rate far beyond the noise, so the climb
 * still follows it). Two standard errors held the window still too often: -0.2 to -0.3 on the 0.1% zipf caches,
 * -1.0 on the shifting hot set at 1%.
 */
const NOISE_STANDARD_ERRORS = 1;

/**
 * Sizes W-TinyLFU's admission window by hill climbing on the hit rate, as Caffeine does: after each sample of
 * requests, if the hit rate rose the window keeps moving the way it moved last (a step of 6.25% of the capacity,
 * decaying by 2% per sample), if it fell the window turns back; a change of 5 points restarts with a full
 * step. Unlike Caffeine, a change within the sample's noise moves nothing (it only decays the step). Recency-heavy traffic grows the window (more LRU-like), frequency-heavy traffic shrinks it.
 */
export class WindowClimber {
  #hits = 0;
  #misses = 0;
  #previousHitRate = 0;
  #step: number;
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#step = -STEP_PERCENT * capacity;
  }

  hit(times = 1): void {
    this.#hits += times;
  }

  miss(): void {
    this.#misses++;
  }

  /**
   * The bytes to move into (> 0) or out of (< 0) the window now; a new sample is judged every `sampleSize`
   * requests. A `sampleSize` of 0 (the frequency sketch is not sized yet: the store is still filling) discards
   * the requests counted so far.
   */
  adjustment(sampleSize: number): number {
    if (sampleSize === 0) {
      this.#hits = this.#misses = 0;
      return 0;
    }
    const requests = this.#hits + this.#misses;
    if (requests >= sampleSize) {
      const hitRate = this.#hits / requests;
      const change = hitRate - this.#previousHitRate;
      this.#previousHitRate = hitRate;
      this.#hits = this.#misses = 0;
      if (Math.abs(change) <= NOISE_STANDARD_ERRORS * Math.sqrt((2 * hitRate * (1 - hitRate)) / requests)) {
        this.#step *= STEP_DECAY;
        return 0;
      }
      const amount = change >= 0 ? this.#step : -this.#step;
      this.#step = Math.abs(change) >= RESTART_THRESHOLD ? STEP_PERCENT * this.#capacity * (amount >= 0 ? 1 : -1) : STEP_DECAY * amount;
      return Math.trunc(amount);
    }
    return 0;
  }
}
