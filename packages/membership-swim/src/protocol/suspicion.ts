import type { Clock } from "@cachecluster/core";
import { remainingSuspicionTime } from "./timing.js";

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
  readonly #confirmations = new Set<string>();
  readonly #fire: () => void;
  #timer: unknown;
  #fired = false;

  constructor(clock: Clock, from: string, k: number, minMs: number, maxMs: number, onTimeout: (confirmations: number) => void) {
    this.#clock = clock;
    this.#k = k;
    this.#min = minMs;
    this.#max = maxMs;
    this.#confirmations.add(from);
    this.#fire = () => {
      this.#fired = true;
      onTimeout(this.#n);
    };
    this.#timer = clock.setTimeout(this.#fire, k < 1 ? minMs : maxMs);
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
      this.#clock.clearTimeout(this.#timer);
      if (remaining > 0) this.#timer = this.#clock.setTimeout(this.#fire, remaining);
      else this.#timer = this.#clock.setTimeout(this.#fire, 0);
    }
    return true;
  }

  cancel(): void {
    this.#fired = true;
    this.#clock.clearTimeout(this.#timer);
  }
}
