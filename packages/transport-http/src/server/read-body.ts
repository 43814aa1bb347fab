import type { IncomingMessage, ServerResponse } from "node:http";

/** The body passed its limit; the rest is left unread (the answer closes the connection). */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body too large: more than ${limit} bytes`);
  }
}

/** The client went away (or node:http cut the request) before the whole body arrived. */
export class BodyAbortedError extends Error {
  constructor() {
    super("the request was aborted before its body arrived");
  }
}

/**
 * Reads a request body of at most `limit` bytes. With a declared `Content-Length` the bytes go into one buffer
 * of that size as they arrive; a streamed (chunked) body is collected and cut off as soon as it passes the limit:
 * reading stops there and the promise rejects with `BodyTooLargeError`.
 */
export function readBody(req: IncomingMessage, limit: number, declared: number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const into = declared !== undefined && declared <= limit ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > limit || (into !== undefined && size + chunk.length > into.length)) {
        cleanup();
        req.pause();
        reject(new BodyTooLargeError(limit));
        return;
      }
      if (into !== undefined) chunk.copy(into, size);
      else chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = (): void => {
      cleanup();
      if (into !== undefined) resolve(size === into.length ? into : into.subarray(0, size));
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (): void => {
      cleanup();
      reject(new BodyAbortedError());
    };
    const onClose = (): void => {
      if (!req.complete) onError();
    };
    const cleanup = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

/**
 * `readBody` for a route that answers the failures itself: past the limit, `tooLarge(message)` answers (413) and
 * `stats.tooLarge` counts it; when the client went away, the response is destroyed and `stats.aborted` counts it.
 * Undefined then: the request has had its answer.
 */
export async function readBodyOrRefuse(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  declared: number | undefined,
  stats: { tooLarge: number; aborted: number },
  tooLarge: (message: string) => void,
): Promise<Buffer | undefined> {
  try {
    return await readBody(req, limit, declared);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      stats.tooLarge++;
      tooLarge(error.message);
    } else {
      stats.aborted++;
      res.destroy();
    }
    return undefined;
  }
}

/** The declared `Content-Length` (node:http has checked its syntax), or undefined for a streamed body. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  return header === undefined ? undefined : Number(header);
}
