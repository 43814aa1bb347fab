import type { Clock } from "@cachecluster/core";
import { remainingSuspicionTime } from "./timing.js";

/** The member's timers a suspicion uses (Timers): a deadline, so a refutation waiting in the socket is read first. */
export interface SuspicionTimers {
  deadline(ms: number, fn: () => void): unknown;
  cancel(timer: unknown): void;
}

/**
 * Lifeguard's dynamic suspicion timer (memberlist suspicion.go): starts at `max`, and each independent
 * confirmation (up to `k`) shortens it toward `min` on a log scale.
 */
export class Suspicion {
  #n = 0;
  readonly #k: number;
  readonly #min: number;
  readonly #max: number;
  readonly #start: number;
  readonly #clock: Clock;
  readonly #timers: SuspicionTimers;
  readonly #confirmations = new Set<string>();
  readonly #fire: () => void;
  #timer: unknown;
  #fired = false;

  constructor(clock: Clock, timers: SuspicionTimers, from: string, k: number, minMs: number, maxMs: number, onTimeout: (confirmations: number) => void) {
    this.#clock = clock;
    this.#timers = timers;
    this.#k = k;
    this.#min = minMs;
    this.#max = maxMs;
    this.#confirmations.add(from);
    this.#fire = () => {
      this.#fired = true;
      onTimeout(this.#n);
    };
    this.#timer = timers.deadline(k < 1 ? minMs : maxMs, this.#fire);
    this.#start = clock.now();
  }

  /** Count a confirmation from another member; true when it was new (and should be re-broadcast). */
  confirm(from: string): boolean {
    if (this.#n >= this.#k) return false;
    if (this.#confirmations.has(from)) return false;
    this.#confirmations.add(from);
    this.#n++;
    const remaining = remainingSuspicionTime(this.#n, this.#k, this.#clock.now() - this.#start, this.#min, this.#max);
    if (!this.#fired) {
      this.#timers.cancel(this.#timer);
      this.#timer = this.#timers.deadline(Math.max(0, remaining), this.#fire);
    }
    return true;
  }

  cancel(): void {
    this.#fired = true;
    this.#timers.cancel(this.#timer);
  }
}
