/**
 * Time and timers, injectable so that protocols (gossip, discovery refreshes) can run on a virtual clock in
 * tests and simulations. `systemClock` is the real one; `@cachecluster/testing`'s `VirtualScheduler` gives
 * virtual ones.
 */
export interface Clock {
  /** Milliseconds since the epoch (`Date.now()`). */
  now(): number;
  /** Run `fn` once after `ms`; the handle cancels it. A pending timer must not keep the process alive. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real time; timers are unref'd, so a pending one never keeps the process alive by itself. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
