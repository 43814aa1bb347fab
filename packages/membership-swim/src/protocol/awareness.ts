/**
 * Lifeguard's local health awareness (memberlist awareness.go): a score in [0, max) that grows when this
 * node misses acks and nacks (it is probably the slow one) and scales its probe interval and timeout.
 */
export class Awareness {
  readonly #max: number;
  #score = 0;

  constructor(max: number) {
    this.#max = max;
  }

  applyDelta(delta: number): void {
    this.#score = Math.min(Math.max(this.#score + delta, 0), this.#max - 1);
  }

  get score(): number {
    return this.#score;
  }

  scaleTimeout(timeoutMs: number): number {
    return timeoutMs * (this.#score + 1);
  }
}
