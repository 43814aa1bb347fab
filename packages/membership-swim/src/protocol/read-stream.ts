import type { StreamConnection } from "@cachecluster/core";
import { StreamReader, type DecodeStreamOptions, type StreamMessage } from "../wire/index.js";

/** Timers the read may use (the member's tracked ones, so shutdown cancels them). */
export interface ReadTimers {
  /** A deadline (Timers.deadline): after a stall, the bytes that arrived in time are read before it counts. */
  deadline(ms: number, fn: () => void): unknown;
  cancel(timer: unknown): void;
}

/**
 * One message from a stream connection (memberlist's readStream + the per-type reader), through the wire
 * layer's linear StreamReader. Rejects on a decode error, when the stream ends first, or after `timeoutMs`.
 */
export function readStream(conn: StreamConnection, timeoutMs: number, options: DecodeStreamOptions, timers: ReadTimers): Promise<StreamMessage> {
  return new Promise((resolve, reject) => {
    const reader = new StreamReader(options);
    let settled = false;
    const finish = (error: Error | undefined, msg?: StreamMessage): void => {
      if (settled) return;
      settled = true;
      timers.cancel(timer);
      if (error !== undefined || msg === undefined) reject(error ?? new Error("stream closed"));
      else resolve(msg);
    };
    const timer = timers.deadline(timeoutMs, () => finish(new Error(`stream read from ${conn.remote} timed out after ${timeoutMs} ms`)));
    conn.setHandlers({
      data: (chunk) => {
        if (settled) return;
        try {
          const result = reader.push(chunk);
          if (result.done) finish(undefined, result.message);
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      },
      end: (error) => finish(error ?? new Error(`stream from ${conn.remote} closed before a whole message`)),
    });
  });
}
