import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { CacheClusterError, describe } from "../errors.js";
import type { HttpRoute } from "../interfaces/transport.js";
import type { Logger } from "../interfaces/logger.js";
import { joinHostPort } from "../net/host-port.js";
import { refuseConnection } from "../net/refuse-connection.js";
import { serveRoute } from "./serve-route.js";

/**
 * The admin listener (`[admin]`): the status page, `status.json`, metrics and health checks on their own
 * address and port, loopback by default, apart from the peer port every member (and whoever else reaches it)
 * talks to. Routes are matched by prefix in order; anything else is a 404 listing what is served.
 */
export class AdminServer {
  readonly #routes: readonly HttpRoute[];
  readonly #logger: Logger;
  #server: Server | undefined;
  #url: string | undefined;

  constructor(routes: readonly HttpRoute[], logger: Logger) {
    this.#routes = routes;
    this.#logger = logger;
  }

  /** `http://host:port` once listening. */
  get url(): string | undefined {
    return this.#url;
  }

  async listen(host: string, port: number): Promise<string> {
    const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 16 * 1024 }, (req, res) => this.#serve(req, res));
    server.on("clientError", (_error: Error, socket: Socket) => refuseConnection(socket, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(
          new CacheClusterError(
            "CACHECLUSTER_LISTEN_FAILED",
            `the admin listener could not bind ${joinHostPort(host, port)}: ${describe(error)}; set [admin] port (0 picks a free one) or [admin] enabled = false`,
            { cause: error },
          ),
        );
      };
      server.once("error", onError);
      server.listen(port, host, () => {
        server.off("error", onError);
        resolve();
      });
    });
    this.#server = server;
    this.#url = `http://${joinHostPort(host, (server.address() as AddressInfo).port)}`;
    return this.#url;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const route = this.#routes.find((r) => url.startsWith(r.prefix));
    if (route === undefined) {
      const body = `${JSON.stringify({ error: "not found", path: url.replace(/[?#].*$/, ""), routes: this.#routes.map((r) => r.prefix) })}\n`;
      res.writeHead(404, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    serveRoute(route, req, res, this.#logger, "admin");
  }
}
