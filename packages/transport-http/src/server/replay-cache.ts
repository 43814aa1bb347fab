/**
 * The nonces of signed writes accepted within the signature window, each kept until its write's timestamp
 * leaves the window, so that a captured write cannot be applied twice. Bounded: once `capacity` nonces are
 * held, `remember` refuses new ones until old ones expire (a write is refused rather than replayable).
 */
export class ReplayCache {
  readonly capacity: number;
  /** nonce → unix ms after which it is forgotten; insertion order is roughly expiry order. */
  readonly #seen = new Map<string, number>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** "fresh" (now remembered until `expires`), "replayed" (seen before), or "full". */
  remember(nonce: string, expires: number, now: number): "fresh" | "replayed" | "full" {
    this.#prune(now);
    if (this.#seen.has(nonce)) return "replayed";
    if (this.#seen.size >= this.capacity) {
      // Entries out of order (timestamps ahead of this clock) may hide expired ones behind them: look at all.
      for (const [seen, until] of this.#seen) if (until <= now) this.#seen.delete(seen);
      if (this.#seen.size >= this.capacity) return "full";
    }
    this.#seen.set(nonce, expires);
    return "fresh";
  }

  /** Forgets expired nonces from the oldest on; stops at the first live one (later ones expire later, mostly). */
  #prune(now: number): void {
    for (const [nonce, expires] of this.#seen) {
      if (expires > now) return;
      this.#seen.delete(nonce);
    }
  }
}
