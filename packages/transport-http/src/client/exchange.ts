import type { Dispatcher } from "undici";
import type { Deadlines, Expiring } from "./deadlines.js";

export interface ExchangeRequest {
  readonly path: string;
  readonly method: "GET" | "PUT" | "DELETE" | "POST";
  readonly body?: Uint8Array;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal | undefined;
}

export interface ExchangeResponse {
  readonly status: number;
  /** As undici gives them: name, value, name, value… (Buffers or strings); read with `headerOf`. */
  readonly rawHeaders: readonly (Buffer | string)[];
  readonly body: Buffer;
}

/** The body passed its limit: for 200 answers the exchange fails; for others the prefix is kept. */
export class BodyLimitError extends Error {
  readonly status: number;
  readonly prefix: Buffer;
  constructor(status: number, prefix: Buffer) {
    super("the response body exceeds its limit");
    this.status = status;
    this.prefix = prefix;
  }
}

/** The value of header `name` (lower case) in undici's raw headers, the first one when repeated. */
export function headerOf(rawHeaders: readonly (Buffer | string)[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const n = rawHeaders[i] as Buffer | string;
    if (n.length === name.length && n.toString("latin1").toLowerCase() === name) return (rawHeaders[i + 1] as Buffer | string).toString("latin1");
  }
  return undefined;
}

/** The call did not complete (last body byte) within the client's timeout. */
export class DeadlineError extends Error {
  constructor(timeoutMs: number) {
    super(`timed out: no complete answer within ${timeoutMs} ms`);
  }
}

const NO_HEADERS: readonly Buffer[] = [];

/**
 * One request/response over an undici dispatcher, body collected into one Buffer: the peer hot path, so it
 * is one object per request (no closures, no stream, no promise per chunk) that is at once the dispatch
 * handler and the abort listener. It implements undici's classic handler interface (`onConnect`,
 * `onHeaders`, `onData`, `onComplete`, `onError`) on purpose: a handler of the newer `onRequestStart` kind is
 * wrapped by undici in an adapter that also parses every response's headers into an object, and a peer fetch
 * needs none of them. The body of a 200 answer may hold `maxBytes`, any other at most `errorBytes` (kept as a
 * prefix; the connection is then dropped). With `deadlines`, the whole call (queueing in the pool included)
 * fails with a DeadlineError once their timeout has passed since `startedAt` (`performance.now()` time; the
 * caller's, when it has read the clock already), however the peer paces its bytes.
 */
export function exchange(
  dispatcher: Dispatcher,
  request: ExchangeRequest,
  maxBytes: number,
  errorBytes: number,
  deadlines?: Deadlines,
  startedAt: number = performance.now(),
): Promise<ExchangeResponse> {
  const signal = request.signal;
  if (signal?.aborted === true) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const handler = new Exchange(resolve, reject, signal, maxBytes, errorBytes, deadlines);
    deadlines?.add(handler, startedAt);
    if (signal !== undefined) {
      // A function listener and no options object: Node's EventTarget wraps an object listener in an async
      // closure and parses options; settle() removes it, so `once` is not needed.
      const onAbort = (): void => handler.onAbort();
      handler.onAbortListener = onAbort;
      signal.addEventListener("abort", onAbort);
    }
    try {
      const { path, method, body, headers } = request;
      dispatcher.dispatch(
        body === undefined ? (headers === undefined ? { path, method } : { path, method, headers }) : { path, method, body, headers: headers ?? {} },
        handler,
      );
    } catch (error) {
      handler.settle(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}

class Exchange implements Expiring {
  deadline = 0;
  earlier: Expiring | undefined = undefined;
  later: Expiring | undefined = undefined;
  readonly #deadlines: Deadlines | undefined;
  readonly #resolve: (response: ExchangeResponse) => void;
  readonly #reject: (error: Error) => void;
  readonly #signal: AbortSignal | undefined;
  #limit: number;
  readonly #errorBytes: number;
  #abort: ((error: Error) => void) | undefined;
  #status = 0;
  #rawHeaders: readonly (Buffer | string)[] = NO_HEADERS;
  #first: Buffer | undefined;
  #chunks: Buffer[] | undefined;
  #size = 0;
  #settled = false;

  constructor(
    resolve: (response: ExchangeResponse) => void,
    reject: (error: Error) => void,
    signal: AbortSignal | undefined,
    maxBytes: number,
    errorBytes: number,
    deadlines: Deadlines | undefined,
  ) {
    this.#deadlines = deadlines;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#limit = maxBytes;
    this.#errorBytes = errorBytes;
  }

  onAbortListener: (() => void) | undefined;

  /** The signal fired. */
  onAbort(): void {
    this.#fail(this.#signal === undefined ? new Error("aborted") : abortReason(this.#signal));
  }

  expire(): void {
    this.#fail(new DeadlineError(this.#deadlines?.timeout ?? 0));
  }

  /** Fails the call now: through undici once it is dispatched (which then calls onError), else directly. */
  #fail(reason: Error): void {
    if (this.#settled) return;
    if (this.#abort !== undefined) this.#abort(reason);
    else this.settle(reason);
  }

  settle(error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#deadlines?.remove(this);
    if (this.onAbortListener !== undefined) this.#signal?.removeEventListener("abort", this.onAbortListener);
    if (error !== undefined) this.#reject(error);
    else this.#resolve({ status: this.#status, rawHeaders: this.#rawHeaders, body: this.#body() });
  }

  #body(): Buffer {
    if (this.#chunks !== undefined) return Buffer.concat(this.#chunks, this.#size);
    return this.#first ?? Buffer.alloc(0);
  }

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort;
    if (this.#settled) abort(new Error("aborted"));
    else if (this.#signal?.aborted === true) abort(abortReason(this.#signal));
  }

  onHeaders(statusCode: number, rawHeaders: (Buffer | string)[] | null): boolean {
    this.#status = statusCode;
    this.#rawHeaders = rawHeaders ?? NO_HEADERS;
    if (statusCode !== 200) {
      this.#limit = this.#errorBytes;
      return true;
    }
    const declared = Number(headerOf(this.#rawHeaders, "content-length") ?? "-1");
    if (declared > this.#limit) {
      this.settle(new BodyLimitError(statusCode, Buffer.alloc(0)));
      this.#abort?.(new Error("the response body exceeds its limit"));
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#settled) return true;
    this.#size += chunk.length;
    if (this.#first === undefined) this.#first = chunk;
    else (this.#chunks ??= [this.#first]).push(chunk);
    if (this.#size > this.#limit) {
      this.settle(new BodyLimitError(this.#status, this.#body().subarray(0, this.#limit)));
      this.#abort?.(new Error("the response body exceeds its limit"));
    }
    return true;
  }

  onComplete(): void {
    this.settle(undefined);
  }

  onError(error: Error): void {
    this.settle(error);
  }
}
