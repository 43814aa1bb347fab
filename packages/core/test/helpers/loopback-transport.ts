import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  PeerError,
  type HttpRoute,
  type ListenOptions,
  type Observable,
  type PeerCallOptions,
  type PeerRequestHandler,
  type PeerValue,
  type Transport,
  type TransportClient,
} from "../../src/index.js";

/**
 * A small Transport for tests that need real HTTP on loopback but not the golang wire format (and must not
 * depend on @cachecluster/transport-http): a node:http server that mounts `routes` by prefix (first match
 * wins) and serves `/_groupcache/{group}/{key}` with the raw value bytes; the client uses fetch.
 * Stops gracefully (requests in flight finish). Reports `stats()` (requests_total, inFlight).
 */
export class LoopbackHttpTransport implements Transport, Observable {
  readonly log: string[] = [];
  #server: Server | undefined;
  #requests = 0;
  #inFlight = 0;

  readonly client: TransportClient = {
    fetch: async (peerUrl: string, group: string, key: string, options?: PeerCallOptions): Promise<PeerValue> => {
      let res: Response;
      try {
        res = await fetch(`${peerUrl}/_groupcache/${encodeURIComponent(group)}/${encodeURIComponent(key)}`, options?.signal ? { signal: options.signal } : {});
      } catch (cause) {
        throw new PeerError(peerUrl, "unreachable", { cause });
      }
      const body = new Uint8Array(await res.arrayBuffer());
      if (res.status !== 200) throw new PeerError(peerUrl, `HTTP ${res.status}: ${new TextDecoder().decode(body)}`, { status: res.status });
      return { value: body };
    },
    remove: async () => {},
    set: async () => {},
  };

  stats(): Record<string, number> {
    return { requests_total: this.#requests, inFlight: this.#inFlight };
  }

  async start(): Promise<void> {
    this.log.push("transport.start");
  }

  async listen(handler: PeerRequestHandler, options: ListenOptions): Promise<{ url: string; port: number }> {
    const routes: readonly HttpRoute[] = options.routes ?? [];
    const server = createServer((req, res) => {
      this.#requests++;
      this.#inFlight++;
      res.on("close", () => this.#inFlight--);
      void this.#serve(handler, routes, req, res);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    return { url: `http://127.0.0.1:${port}`, port };
  }

  async stop(): Promise<void> {
    this.log.push("transport.stop");
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    // Graceful: stop accepting, let requests in flight finish, then drop idle keep-alive sockets.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 20);
    await closed;
    clearInterval(idle);
  }

  async #serve(handler: PeerRequestHandler, routes: readonly HttpRoute[], req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const route = routes.find((r) => path.startsWith(r.prefix) || `${path}/` === r.prefix);
      if (route !== undefined) {
        await route.handle(req, res);
        return;
      }
      const m = /^\/_groupcache\/([^/]*)\/(.*)$/.exec(path);
      if (m === null) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      const value = await handler.get(decodeURIComponent(m[1] ?? ""), decodeURIComponent(m[2] ?? ""));
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(value.value);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(error instanceof Error ? error.message : String(error));
    }
  }
}
