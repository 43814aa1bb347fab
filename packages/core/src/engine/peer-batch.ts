import { PeerError } from "../errors.js";
import type { PeerBatchResult, PeerCallOptions, TransportClient } from "../interfaces/transport.js";
import { type FlightSignal, LazyAbort } from "./flight-signal.js";

/**
 * The keys one `getMany` call asks one owner for, in one `fetchMany`. A key's flight (singleflight) joins the
 * batch when it is created; `send` goes once every key is in. The request is aborted only when every flight in
 * it is (their callers all went away, or the cluster stops), as a single fetch is aborted with its flight. Like
 * a flight's, the batch's abort is watched without an AbortSignal where the transport can (a peer stream's gets).
 */
export class PeerBatch {
  readonly owner: string;
  readonly keys: string[] = [];
  #live = 0;
  readonly #abort = new LazyAbort();
  readonly #results: Promise<PeerBatchResult[]>;
  #settle: ((results: Promise<PeerBatchResult[]>) => void) | undefined;

  constructor(owner: string) {
    this.owner = owner;
    this.#results = new Promise((resolve) => (this.#settle = resolve));
  }

  /** Adds `key` for `flight`: the promise of its result, rejected when the whole batch fails. */
  join(key: string, flight: FlightSignal): Promise<PeerBatchResult> {
    const index = this.keys.push(key) - 1;
    this.#live++;
    const onAbort = (): void => {
      if (--this.#live === 0) this.#abort.abort(flight.reason);
    };
    flight.watch(onAbort);
    return this.#results.then(
      (results) => results[index] ?? { status: "rejected", reason: new PeerError(this.owner, `the batch answered no result for key ${JSON.stringify(key)}`) },
    );
  }

  /** Sends the batch through `fetch`, which gets the batch's abort; every joined key's result follows. */
  send(fetch: (keys: readonly string[], abort: LazyAbort) => Promise<PeerBatchResult[]>): void {
    let sent: Promise<PeerBatchResult[]>;
    try {
      sent = fetch(this.keys, this.#abort);
    } catch (error) {
      sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.#settle?.(sent);
  }
}

/** `fetchMany` for a transport client without it: one `fetch` per key, in parallel. */
export function fetchEach(
  client: TransportClient,
  owner: string,
  group: string,
  keys: readonly string[],
  options: PeerCallOptions,
): Promise<PeerBatchResult[]> {
  return Promise.allSettled(keys.map((key) => client.fetch(owner, group, key, options)));
}
