/**
 * One shared load: the context its loader receives (`signal`, `group`), and the abort switch of the waiters.
 * The AbortSignal is created only when someone reads it: most loads are never aborted and many loaders
 * never look at their signal, and an AbortController per miss is garbage that shows up in the process's
 * memory. For the same reason the flight is itself the loader's context, not a second object per miss.
 */
export class FlightSignal {
  readonly group: string;
  /** How the flight got its value, for the get latency histogram. */
  outcome: "hit" | "peer" | "load" = "load";
  /** The owner asked for the value, when it is a peer (for traces). */
  peer: string | undefined = undefined;
  /** Another node changed the key while this flight fetched it: its value is returned, but not hot-cached. */
  invalidated = false;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  constructor(group: string) {
    this.group = group;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
