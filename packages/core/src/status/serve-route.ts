import type { IncomingMessage, ServerResponse } from "node:http";
import { describe } from "../errors.js";
import type { Logger } from "../interfaces/logger.js";
import type { HttpRoute } from "../interfaces/transport.js";

/**
 * Runs an extra HTTP route (status page, metrics, health) for a server that matched it: a throw or a rejected
 * promise is logged with the route's prefix and answered 500 with the error's text, or the connection is closed
 * when the headers went out already. The admin listener and transport-http's peer server both serve routes so.
 */
export function serveRoute(route: HttpRoute, req: IncomingMessage, res: ServerResponse, logger: Logger, server = "HTTP"): void {
  const onError = (error: unknown): void => {
    logger.error({ err: error, prefix: route.prefix }, `cachecluster: ${server} route failed`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = `${describe(error)}\n`;
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
  try {
    const result = route.handle(req, res);
    if (result instanceof Promise) result.catch(onError);
  } catch (error) {
    onError(error);
  }
}
