/** Something in flight that must end by `deadline` (`performance.now()` time). */
export interface Expiring {
  deadline: number;
  earlier: Expiring | undefined;
  later: Expiring | undefined;
  /** The deadline passed: fail now. */
  expire(): void;
}

/**
 * The client's calls in flight, in the order they started: they all get the same timeout, so the oldest
 * is always the next to expire. One timer for all of them, running only while any is in flight, instead of
 * a timer per call (the peer hot path): a call expires at most 1/10 of the timeout late.
 */
export class Deadlines {
  readonly #timeout: number;
  readonly #tick: number;
  #oldest: Expiring | undefined;
  #newest: Expiring | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(timeoutMs: number) {
    this.#timeout = timeoutMs;
    this.#tick = Math.max(1, Math.ceil(timeoutMs / 10));
  }

  get timeout(): number {
    return this.#timeout;
  }

  /** Tracks `item` from now, until `remove` or its expiry. */
  add(item: Expiring, now: number): void {
    item.deadline = now + this.#timeout;
    item.earlier = this.#newest;
    item.later = undefined;
    if (this.#newest === undefined) this.#oldest = item;
    else this.#newest.later = item;
    this.#newest = item;
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#expire(), this.#tick);
      // In-flight calls keep the process alive by their sockets, not by this timer.
      this.#timer.unref();
    }
  }

  remove(item: Expiring): void {
    const { earlier, later } = item;
    if (earlier === undefined) {
      if (this.#oldest !== item) return; // not tracked (already removed)
      this.#oldest = later;
    } else earlier.later = later;
    if (later === undefined) this.#newest = earlier;
    else later.earlier = earlier;
    item.earlier = item.later = undefined;
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #expire(): void {
    const now = performance.now();
    for (let item = this.#oldest; item !== undefined && item.deadline <= now; item = this.#oldest) {
      this.remove(item);
      item.expire();
    }
    if (this.#oldest === undefined) this.close();
  }
}
