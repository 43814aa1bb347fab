import { DecodeError } from "@cachecluster/core";
import type { StreamConnection } from "@cachecluster/core";
import { MAX_PUSH_STATE_BYTES, readStreamMessage, type DecodeStreamOptions, type StreamMessage } from "../wire/index.js";

/** The most a stream may send before it must have delivered one whole message (maxPushStateBytes + framing). */
export const MAX_STREAM_BYTES = MAX_PUSH_STATE_BYTES + 64 * 1024;

/** Timers the reader may use (the protocol's tracked ones, so shutdown cancels them). */
export interface ReaderTimers {
  after(ms: number, fn: () => void): unknown;
  cancel(timer: unknown): void;
}

/**
 * Reads one message from a stream connection (memberlist's readStream + per-type reader): buffers chunks
 * until the wire layer can decode a whole message; rejects on a decode error, on end of stream, on more
 * than MAX_STREAM_BYTES, or after `timeoutMs`.
 */
export function readOneStreamMessage(conn: StreamConnection, timeoutMs: number, options: DecodeStreamOptions, timers: ReaderTimers): Promise<StreamMessage> {
  return new Promise((resolve, reject) => {
    let buffer = new Uint8Array(4096);
    let length = 0;
    let settled = false;
    const finish = (error: Error | undefined, msg?: StreamMessage): void => {
      if (settled) return;
      settled = true;
      timers.cancel(timer);
      if (error !== undefined || msg === undefined) reject(error ?? new Error("stream closed"));
      else resolve(msg);
    };
    const timer = timers.after(timeoutMs, () => finish(new Error(`stream read from ${conn.remote} timed out after ${timeoutMs} ms`)));
    conn.setHandlers({
      data: (chunk) => {
        if (settled) return;
        if (length + chunk.byteLength > MAX_STREAM_BYTES) {
          finish(new DecodeError(`stream from ${conn.remote} sent more than ${MAX_STREAM_BYTES} bytes without a whole message`));
          return;
        }
        if (length + chunk.byteLength > buffer.byteLength) {
          const next = new Uint8Array(Math.max(buffer.byteLength * 2, length + chunk.byteLength));
          next.set(buffer.subarray(0, length));
          buffer = next;
        }
        buffer.set(chunk, length);
        length += chunk.byteLength;
        try {
          const result = readStreamMessage(buffer.subarray(0, length), options);
          if (result.done) finish(undefined, result.message);
        } catch (error) {
          finish(error instanceof Error ? error : new DecodeError(String(error)));
        }
      },
      end: (error) => finish(error ?? new Error(`stream from ${conn.remote} closed before a whole message`)),
    });
  });
}
