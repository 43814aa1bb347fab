import { AbortError } from "../errors.js";
import { FlightSignal } from "./flight-signal.js";

interface Call<T> {
  readonly promise: Promise<T>;
  readonly flight: FlightSignal;
  /** Waiters that can still receive the result; when the last one aborts, the work is aborted too. */
  live: number;
}

/**
 * Collapses concurrent calls for one key into one execution (golang/groupcache's singleflight).
 * One waiter's abort rejects only that waiter's promise; the shared work goes on for the others,
 * and its own signal aborts only once every waiter has aborted.
 */
export class SingleFlight<T> {
  readonly #context: string;
  /**
   * Replaced by a fresh Map whenever it empties: V8 allocates the hash tables of a Map that has reached the
   * old generation in the old generation too, so adding and deleting one key per miss on a long-lived Map
   * leaves old-space garbage that only a full GC reclaims (measured: ~100 B per miss).
   */
  #calls = new Map<string, Call<T>>();

  /** `context` is the `group` of every flight's load context. */
  constructor(context: string) {
    this.#context = context;
  }

  /** How many keys are in flight. */
  get size(): number {
    return this.#calls.size;
  }

  /** Runs `fn` for `key` unless a run is in flight; `dedup` tells whether this call joined an existing one. */
  do(key: string, fn: (flight: FlightSignal) => Promise<T>, signal?: AbortSignal): { promise: Promise<T>; dedup: boolean; flight?: FlightSignal } {
    if (signal?.aborted === true) return { promise: Promise.reject(abortReason(signal)), dedup: false };
    let call = this.#calls.get(key);
    const dedup = call !== undefined;
    if (call === undefined) {
      const flight = new FlightSignal(this.#context);
      const promise = fn(flight).finally(() => this.#forget(key));
      call = { promise, flight, live: 0 };
      this.#calls.set(key, call);
    }
    call.live++;
    return { promise: signal === undefined ? call.promise : wait(call, signal), dedup, flight: call.flight };
  }

  /** The flight in progress for `key`, if any. */
  flightOf(key: string): FlightSignal | undefined {
    return this.#calls.get(key)?.flight;
  }

  /** Aborts every flight in progress (their waiters get the AbortError). */
  abortAll(reason: unknown): void {
    for (const call of this.#calls.values()) call.flight.abort(reason);
  }

  #forget(key: string): void {
    const calls = this.#calls;
    calls.delete(key);
    if (calls.size === 0) this.#calls = new Map();
  }
}

function wait<T>(call: Call<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      if (--call.live === 0) call.flight.abort(abortReason(signal));
      call.promise.catch(() => {});
      reject(abortReason(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    call.promise.finally(() => signal.removeEventListener("abort", onAbort)).then(resolve, reject);
  });
}

export function abortReason(signal: { readonly reason: unknown }): AbortError {
  const reason: unknown = signal.reason;
  return reason instanceof AbortError ? reason : new AbortError("the get was aborted", { cause: reason });
}
