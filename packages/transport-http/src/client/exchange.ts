import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

export interface ExchangeRequest {
  readonly path: string;
  readonly method: "GET" | "PUT" | "DELETE";
  readonly body?: Uint8Array;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal | undefined;
}

export interface ExchangeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The body passed its limit: for 200 answers the exchange fails; for others the prefix is kept. */
export class BodyLimitError extends Error {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly prefix: Buffer;
  constructor(status: number, headers: IncomingHttpHeaders, prefix: Buffer) {
    super("the response body exceeds its limit");
    this.status = status;
    this.headers = headers;
    this.prefix = prefix;
  }
}

/**
 * One request/response over an undici dispatcher, body collected into one Buffer. Built on `dispatch`
 * with a plain handler (no stream or promise per chunk): the peer hot path. The body of a 200 answer may
 * hold `maxBytes`, any other at most `errorBytes` (kept as a prefix; the connection is then dropped).
 */
export function exchange(dispatcher: Dispatcher, request: ExchangeRequest, maxBytes: number, errorBytes: number): Promise<ExchangeResponse> {
  return new Promise((resolve, reject) => {
    const signal = request.signal;
    if (signal?.aborted === true) {
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let limit = maxBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const onAbort = (): void => {
      const reason = signal?.reason instanceof Error ? signal.reason : new Error("aborted");
      if (controller !== undefined) controller.abort(reason);
      else settle(reason);
    };
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (error !== undefined) reject(error);
      else resolve({ status, headers, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (signal?.aborted === true) c.abort(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      },
      onResponseStart(c, statusCode, responseHeaders) {
        status = statusCode;
        headers = responseHeaders;
        if (statusCode !== 200) limit = errorBytes;
        const declared = Number(responseHeaders["content-length"] ?? "-1");
        if (statusCode === 200 && declared > limit) {
          settle(new BodyLimitError(status, headers, Buffer.alloc(0)));
          c.abort(new Error("the response body exceeds its limit"));
        }
      },
      onResponseData(c, chunk) {
        if (settled) return;
        size += chunk.length;
        chunks.push(chunk);
        if (size > limit) {
          settle(new BodyLimitError(status, headers, Buffer.concat(chunks, size).subarray(0, limit)));
          c.abort(new Error("the response body exceeds its limit"));
        }
      },
      onResponseEnd() {
        settle(undefined);
      },
      onResponseError(_c, error) {
        settle(error);
      },
    };
    try {
      dispatcher.dispatch(
        {
          path: request.path,
          method: request.method,
          ...(request.body === undefined ? {} : { body: request.body }),
          ...(request.headers === undefined ? {} : { headers: request.headers }),
        },
        handler,
      );
    } catch (error) {
      settle(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
