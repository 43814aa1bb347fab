import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, type Socket, isIP } from "node:net";
import type { Duplex } from "node:stream";
import {
  CacheClusterError,
  type HttpRoute,
  type Clock,
  type ListenOptions,
  type Logger,
  type PeerRequestHandler,
  type StatDescription,
  type Transport,
  formatHost,
  refuseConnection,
  silentLogger,
  serveRoute,
} from "@cachecluster/core";
import { HttpTransportClient } from "./client/http-client.js";
import { type HttpTransportOptions, type HttpTransportOptionsInput, parseHttpTransportOptions } from "./options.js";
import { type TlsMaterial, readTlsMaterial } from "./tls-material.js";
import { type PeerHttpHandler, type PeerServerStats, createPeerHandler, emptyPeerServerStats } from "./server/peer-handler.js";
import { StreamServer } from "./server/stream-server.js";

export interface HttpTransportDeps {
  readonly logger?: Logger;
  /** Time for signature windows; default the system clock. */
  readonly clock?: Pick<Clock, "now">;
}

/**
 * golang/groupcache's HTTP peer protocol: a node:http server (`listen`) answering `/_groupcache/{group}/{key}`
 * through the engine's `PeerRequestHandler`, and an undici client (`client`) with a keep-alive pool per peer.
 */
export class HttpTransport implements Transport {
  readonly options: HttpTransportOptions;
  readonly client: HttpTransportClient;
  #protocolErrors = 0;
  #tlsRefused = 0;
  readonly #logger: Logger;
  readonly #clock: Pick<Clock, "now"> | undefined;
  #server: Server | undefined;
  #peerHandler: PeerHttpHandler | undefined;
  #streams: StreamServer | undefined;
  #stopping: Promise<void> | undefined;
  readonly #tls: TlsMaterial | undefined;

  constructor(options?: HttpTransportOptionsInput, deps: HttpTransportDeps = {}) {
    this.options = parseHttpTransportOptions(options);
    this.#logger = deps.logger ?? silentLogger;
    this.#clock = deps.clock;
    this.#tls = readTlsMaterial(this.options.tls);
    this.client = new HttpTransportClient(this.options, this.#tls);
  }

  /** Requests the HTTP parser refused (malformed, oversized headers, header timeout), answered 400/431/408. */
  get protocolErrors(): number {
    return this.#protocolErrors;
  }

  /** Connections refused in the TLS handshake (plain HTTP on a TLS port, no or an untrusted client certificate). */
  get tlsRefused(): number {
    return this.#tlsRefused;
  }

  /** Counters of the peer server (zero before `listen`). */
  get serverStats(): PeerServerStats {
    return this.#peerHandler?.stats ?? emptyPeerServerStats();
  }

  /**
   * Counters for the cluster's Prometheus metrics (core's `Observable`): the peer server's counters as
   * `cachecluster_transport_server_<name>_total`, its gauges (`…_server_uploads_active`, `…_uploads_waiting`,
   * `…_replay_cache_entries`), and the client's peer pools held
   * (`cachecluster_transport_client_peer_pools`) and closed for being idle (`…_client_pools_closed_idle_total`).
   */
  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, value] of Object.entries(this.serverStats as unknown as Record<string, number>))
      out[`server${name[0]?.toUpperCase() ?? ""}${name.slice(1)}Total`] = value;
    out.serverProtocolErrorsTotal = this.#protocolErrors;
    out.serverTlsRefusedTotal = this.#tlsRefused;
    const gauges = this.#peerHandler?.gauges();
    out.serverUploadsActive = gauges?.uploadsActive ?? 0;
    out.serverUploadsWaiting = gauges?.uploadsWaiting ?? 0;
    out.serverReplayCacheEntries = gauges?.replayCacheEntries ?? 0;
    const pools = this.client.poolStats;
    out.clientPeerPools = pools.pools;
    out.clientPoolsClosedIdleTotal = pools.closedIdle;
    out.clientStreams = pools.streams;
    out.clientStreamsOpenedTotal = pools.streamsOpened;
    out.clientStreamsRefusedTotal = pools.streamsRefused;
    out.serverStreams = this.#streams?.open ?? 0;
    out.serverStreamsOpenedTotal = this.#streams?.upgrades ?? 0;
    out.serverStreamGetsTotal = this.#streams?.gets ?? 0;
    out.serverStreamProtocolErrorsTotal = this.#streams?.protocolErrors ?? 0;
    return out;
  }

  /** The type and help text of each `stats()` key, for the cluster's Prometheus metrics (core's `Observable`). */
  describeStats(): Readonly<Record<string, StatDescription>> {
    return TRANSPORT_STAT_DESCRIPTIONS;
  }

  /** The bound server, after `listen`. */
  get server(): Server | undefined {
    return this.#server;
  }

  async start(): Promise<void> {}

  async listen(handler: PeerRequestHandler, options: ListenOptions): Promise<{ url: string; port: number }> {
    if (this.#stopping !== undefined) throw new CacheClusterError("CACHECLUSTER_STOPPED", "HttpTransport.listen() called after stop()");
    if (this.#server !== undefined)
      throw new CacheClusterError("CACHECLUSTER_INVALID_ARGUMENT", "HttpTransport.listen() was called twice: one transport serves one server");
    const o = this.options;
    const peer = createPeerHandler(handler, o, this.#clock === undefined ? { logger: this.#logger } : { logger: this.#logger, clock: this.#clock });
    const routes: readonly HttpRoute[] = options.routes ?? [];
    const logger = this.#logger;
    const tls = this.#tls;
    const serverOptions = {
      headersTimeout: o.headersTimeout,
      requestTimeout: o.requestTimeout,
      keepAliveTimeout: o.serverKeepAliveTimeout,
      maxHeaderSize: o.maxHeaderSize,
      // How often node:http enforces headersTimeout/requestTimeout (default 30 s, too coarse for slowloris).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(o.headersTimeout / 4))),
      noDelay: true,
    };
    const serve = (req: IncomingMessage, res: ServerResponse): void => {
      const url = req.url ?? "";
      if (routes.length > 0 && !url.startsWith(o.basePath)) {
        const route = routes.find((r) => url.startsWith(r.prefix));
        if (route !== undefined) {
          serveRoute(route, req, res, logger);
          return;
        }
      }
      peer(req, res);
    };
    // With TLS, a client that speaks plain HTTP (or has no certificate, under clientAuth) fails the handshake
    // and is never served; node:https counts it as a tlsClientError.
    const server: Server =
      tls === undefined
        ? createServer(serverOptions, serve)
        : createHttpsServer(
            {
              ...serverOptions,
              cert: tls.cert,
              key: tls.key,
              ...(tls.ca === undefined ? {} : { ca: tls.ca }),
              requestCert: tls.clientAuth,
              rejectUnauthorized: tls.clientAuth,
              minVersion: "TLSv1.2",
            },
            serve,
          );
    if (tls !== undefined) server.on("tlsClientError", () => this.#tlsRefused++);
    const streams = new StreamServer(
      handler,
      { enabled: o.stream, basePath: o.basePath, reads: o.reads, maxFrameBytes: o.maxHeaderSize, idleTimeout: o.serverKeepAliveTimeout, logger },
      peer.stats,
    );
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => streams.upgrade(req, socket as Socket, head));
    this.#streams = streams;
    server.on("clientError", (error: Error & { code?: string }, socket: Socket) => {
      // Malformed or oversized requests, header timeouts: answer like Go's server, never crash.
      if (!socket.writable || error.code === "ECONNRESET") {
        socket.destroy();
        return;
      }
      this.#protocolErrors++;
      const status =
        error.code === "HPE_HEADER_OVERFLOW"
          ? "431 Request Header Fields Too Large"
          : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
            ? "408 Request Timeout"
            : "400 Bad Request";
      refuseConnection(socket, `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status}`);
    });
    const host = options.host ?? "0.0.0.0";
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once("error", onError);
      server.listen(options.port, host, () => {
        server.off("error", onError);
        resolve();
      });
    });
    server.on("error", (error) => logger.error({ err: error }, "cachecluster: peer HTTP server error"));
    this.#server = server;
    this.#peerHandler = peer;
    // Requests to peers leave from the address this node listens on (when it is one), which members know it by.
    this.client.useLocalAddress(isIP(host) !== 0 && !isWildcard(host) ? host : undefined);
    const port = (server.address() as AddressInfo).port;
    const reachable = isWildcard(host) || host === "" ? "127.0.0.1" : host;
    return { url: `${tls === undefined ? "http" : "https"}://${formatHost(reachable)}:${port}`, port };
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (up to `closeTimeout`, then cuts them),
   * and closes the client pools (in-flight peer requests finish first). Safe to call twice.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const server = this.#server;
    const closing: Promise<unknown>[] = [this.client.close()];
    if (server !== undefined) {
      closing.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.closeAllConnections();
            this.#streams?.close(true);
          }, this.options.closeTimeout);
          timer.unref();
          this.#streams?.close();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        }),
      );
    }
    await Promise.all(closing);
  }
}

const served = (help: string): StatDescription => ({ type: "counter", help });

/** What each key of `HttpTransport.stats()` is. */
const TRANSPORT_STAT_DESCRIPTIONS: Readonly<Record<string, StatDescription>> = {
  serverRequestsTotal: served("Requests from peers on the peer path (any method)."),
  serverGetsTotal: served("Gets from peers."),
  serverBatchesTotal: served("Batch requests from peers (getMany: POST on the batch route)."),
  serverBatchKeysTotal: served("Keys asked for in batches from peers (each one a get here)."),
  serverBatchKeyErrorsTotal: served("Keys of batches from peers answered with their loader's error."),
  serverBatchValuesOmittedTotal: served("Values left out of batch answers to stay within maxBatchResponseBytes (the peer fetches each alone)."),
  serverRemovesTotal: served("Removes (DELETE) from peers."),
  serverSetsTotal: served("Sets (PUT) from peers."),
  serverBadRequestsTotal: served("Peer requests answered 400: malformed path, escapes, UTF-8 or set body."),
  serverMethodNotAllowedTotal: served("Peer requests answered 405: a method other than GET, PUT and DELETE, or than POST on the batch route (no loader ran)."),
  serverNotFoundTotal: served("Peer requests answered 404: unknown group, or a path outside the base path."),
  serverNotMemberTotal: served("Peer requests answered 403: from an address that is no current member's (reads: members; writes without secretKeys)."),
  serverUnsignedTotal: served("Peer writes answered 401: no signature where secretKeys are set."),
  serverBadSignatureTotal: served("Peer writes answered 401: malformed signature, another key, or not matching the request or body."),
  serverStaleTotal: served("Peer writes answered 401: timestamp more than signatureWindow off this node's clock."),
  serverReplayedTotal: served("Peer writes answered 401: a signed write seen before (replay cache)."),
  serverTooLargeTotal: served("Peer requests answered 413: set body over maxSetBytes, batch over maxBatchRequestBytes or maxBatchKeys."),
  serverBusyTotal: served("Peer sets answered 503: maxConcurrentSets bodies being read and the waiting line full."),
  serverErrorsTotal: served("Peer requests answered 500: the loader or the handler failed."),
  serverAbortedTotal: served("Peer requests whose client went away before the answer."),
  serverProtocolErrorsTotal: served("Requests the HTTP parser refused (malformed, oversized headers, header timeout)."),
  serverTlsRefusedTotal: served("Connections refused in the TLS handshake: plain HTTP on the TLS port, no or an untrusted client certificate."),
  serverUploadsActive: { type: "gauge", help: "Set bodies being read now (at most maxConcurrentSets)." },
  serverUploadsWaiting: { type: "gauge", help: "Sets waiting, unread, for an upload slot." },
  serverReplayCacheEntries: { type: "gauge", help: "Nonces of signed writes remembered to refuse replays." },
  clientPeerPools: { type: "gauge", help: "Connection pools to peers held by the client." },
  clientPoolsClosedIdleTotal: served("Peer connection pools closed for being unused for idlePoolTimeout."),
  clientStreams: { type: "gauge", help: "Peer streams open (gets to cachecluster peers over the binary stream)." },
  clientStreamsOpenedTotal: served("Peer streams this node asked peers for (HTTP upgrades sent)."),
  clientStreamsRefusedTotal: served("Peer streams refused (a Go peer, or stream: false there): that peer is fetched over HTTP for a minute."),
  serverStreams: { type: "gauge", help: "Peer streams open from peers to this node." },
  serverStreamsOpenedTotal: served("Peer streams this node accepted (HTTP upgrades answered 101)."),
  serverStreamGetsTotal: served("Peer gets served over peer streams (also counted in serverGetsTotal)."),
  serverStreamProtocolErrorsTotal: served("Peer stream frames refused: undecodable, or over maxHeaderSize (the stream is then closed)."),
};

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}
