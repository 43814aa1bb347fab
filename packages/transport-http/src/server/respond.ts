import type { IncomingMessage, ServerResponse } from "node:http";

/** Whether the request announces a body (`Content-Length` > 0 or any `Transfer-Encoding`). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Answers as Go's `http.Error` does: `text/plain; charset=utf-8`, `nosniff`, the text and a newline. A request
 * whose body is left unread gets `Connection: close`, so node:http closes the connection after the answer
 * instead of reading (and discarding) the rest of a body nobody asked for.
 */
export function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(`${text}\n`, "utf8");
  if (!req.complete && hasBody(req)) res.setHeader("Connection", "close");
  res.writeHead(status, {
    ...headers,
    "Content-Type": "text/plain; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
    "Content-Length": body.length,
  });
  res.end(body);
}
