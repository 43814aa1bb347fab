/**
 * At most `limit` uploads (set bodies) are read at once; up to `queueLimit` more wait, their bodies unread
 * (node:http pauses a connection whose request body is not read, so a waiting upload holds at most one socket
 * read, ~64 KiB); beyond that `enter` says no at once. Waiting ends when a slot frees up, or when the waiter's
 * connection closes (the client went away, or node:http's `requestTimeout` cut it).
 */
export class UploadGate {
  readonly limit: number;
  readonly queueLimit: number;
  #active = 0;
  readonly #waiting = new Set<() => void>();

  constructor(limit: number, queueLimit: number) {
    this.limit = limit;
    this.queueLimit = queueLimit;
  }

  /** Uploads being read now. */
  get active(): number {
    return this.#active;
  }

  /** Uploads waiting for a slot. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Resolves `true` once the caller holds a slot (give it back with `leave()`), `false` when the queue is full
   * or `closed` fired while waiting (no slot is held then).
   */
  enter(closed: { once(event: "close", listener: () => void): unknown; off(event: "close", listener: () => void): unknown }): Promise<boolean> {
    if (this.#active < this.limit) {
      this.#active++;
      return Promise.resolve(true);
    }
    if (this.#waiting.size >= this.queueLimit) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onClose = (): void => {
        this.#waiting.delete(grant);
        resolve(false);
      };
      const grant = (): void => {
        closed.off("close", onClose);
        resolve(true);
      };
      this.#waiting.add(grant);
      closed.once("close", onClose);
    });
  }

  /** Gives a slot back: the longest waiter gets it. */
  leave(): void {
    const next = this.#waiting.values().next();
    if (next.done === true) {
      this.#active--;
      return;
    }
    this.#waiting.delete(next.value);
    next.value();
  }
}
