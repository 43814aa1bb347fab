import type { Clock } from "@cachecluster/core";

/**
 * The timers of one member, on its clock: each fires only while the member runs, and `stop()` cancels
 * every one still pending, so a stopped member does nothing more (memberlist's shutdown channel).
 */
export class Timers {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #pending = new Set<unknown>();
  #running = false;

  constructor(clock: Clock, random: () => number) {
    this.#clock = clock;
    this.#random = random;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    this.#running = true;
  }

  /** Cancel every pending timer; later ones never fire. */
  stop(): void {
    this.#running = false;
    for (const timer of this.#pending) this.#clock.clearTimeout(timer);
    this.#pending.clear();
  }

  /** Run `fn` once after `ms`, unless stopped by then. */
  after(ms: number, fn: () => void): unknown {
    const timer = this.#clock.setTimeout(() => {
      this.#pending.delete(timer);
      if (this.#running) fn();
    }, ms);
    this.#pending.add(timer);
    return timer;
  }

  cancel(timer: unknown): void {
    this.#pending.delete(timer);
    this.#clock.clearTimeout(timer);
  }

  /** Run `fn` every `intervalMs()`, first after a random stagger; returns a function that re-staggers it. */
  every(intervalMs: () => number, fn: () => void): () => void {
    let timer: unknown;
    const tick = (): void => {
      fn();
      timer = this.after(intervalMs(), tick);
    };
    timer = this.after(Math.floor(this.#random() * intervalMs()), tick);
    return () => {
      this.cancel(timer);
      timer = this.after(Math.floor(this.#random() * intervalMs()), tick);
    };
  }

  /** Resolves after `ms` (never, once stopped). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.after(ms, resolve);
    });
  }

  /** `promise`, or a rejection naming `what` after `ms`. */
  withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.after(ms, () => reject(new Error(`${what}: timed out after ${ms} ms`)));
      promise.then(
        (value) => {
          this.cancel(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.cancel(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
