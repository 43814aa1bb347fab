import { setMaxListeners } from "node:events";
import type { AbortWatch, PeerCallOptions, TraceCarrier } from "../interfaces/transport.js";

/**
 * An abort that makes its AbortSignal only when someone reads `signal`: most flights and batches are never
 * aborted, and an AbortSignal costs ~3 µs to create and, unlike other short-lived objects, survives the
 * young-generation GC (measured on Node 20: ~400 bytes promoted per signal), so every one adds to the old
 * generation that major GCs must mark. A transport that can, watches it as an `AbortWatch` instead (see
 * `fetchOptions`).
 */
export class LazyAbort implements AbortWatch {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  /** Watchers of the abort: usually none or one (the fetch in flight), so one without an array. */
  #watcher: (() => void) | undefined = undefined;
  #watchers: (() => void)[] | undefined = undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  watch(listener: () => void): void {
    if (this.#watcher === undefined) this.#watcher = listener;
    else (this.#watchers ??= []).push(listener);
  }

  unwatch(listener: () => void): void {
    if (this.#watcher === listener) this.#watcher = this.#watchers?.shift();
    else if (this.#watchers !== undefined) {
      const i = this.#watchers.indexOf(listener);
      if (i >= 0) this.#watchers.splice(i, 1);
    }
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      // A batch's keys fetched one by one (a transport without fetchMany) each listen to it.
      setMaxListeners(0, this.#controller.signal);
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const first = this.#watcher;
    const rest = this.#watchers;
    this.#watcher = undefined;
    this.#watchers = undefined;
    first?.();
    if (rest !== undefined) for (const listener of rest) listener();
  }
}

/**
 * One shared load: the context its loader receives (`signal`, `group`), and the abort switch of the waiters.
 * The flight is itself the loader's context, not a second object per miss; its peer fetch watches it as an
 * `AbortWatch` (see `fetchOptions`), and its AbortSignal is made only when read (see `LazyAbort`).
 */
export class FlightSignal extends LazyAbort {
  readonly group: string;
  /** How the flight got its value, for the get latency histogram. */
  outcome: "hit" | "peer" | "load" = "load";
  /** The owner asked for the value, when it is a peer (for traces). */
  peer: string | undefined = undefined;
  /** Another node changed the key while this flight fetched it: its value is returned, but not hot-cached. */
  invalidated = false;

  constructor(group: string) {
    super();
    this.group = group;
  }
}

/**
 * The options of a peer fetch: `abortWatch` is its flight (or its batch's abort); `signal` is an own getter, so the
 * AbortSignal exists only if the transport reads it, and a transport that copies the options (`{ ...options }`)
 * still gets it.
 */
export function fetchOptions(abort: LazyAbort, traceContext?: TraceCarrier): PeerCallOptions {
  return {
    get signal() {
      return abort.signal;
    },
    abortWatch: abort,
    traceContext,
  };
}
