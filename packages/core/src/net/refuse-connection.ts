import type { Socket } from "node:net";

/** How long a refused connection may take to flush its answer before it is destroyed anyway. */
const FLUSH_TIMEOUT_MS = 1000;

/**
 * Answers a connection that node:http gave up on (a `clientError`: malformed request, header or request timeout)
 * with `response`, a whole HTTP response, and closes it: destroyed once the answer is flushed, or after 1 s.
 *
 * Ending the socket alone is not enough. node:http servers allow half-open connections, and one whose request
 * body was left unread is paused: it never reads the client's FIN, so the socket would stay open for good (one
 * descriptor per refused upload, and a `server.close()` that never returns).
 */
export function refuseConnection(socket: Socket, response: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), FLUSH_TIMEOUT_MS);
  socket.end(response, () => {
    clearTimeout(timer);
    socket.destroy();
  });
}
