import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { CacheClusterError, type Logger, type PeerRequestHandler, LoaderError, describeError } from "@cachecluster/core";
import {
  FrameReader,
  KIND_CANCEL,
  REPLY_BAD_REQUEST,
  REPLY_ERROR,
  REPLY_FORBIDDEN,
  REPLY_NO_SUCH_GROUP,
  STREAM_PATH,
  STREAM_PROTOCOL,
  decodeRequest,
  decodeTrace,
  encodeErrorReply,
  encodeOkReply,
  writeFrame,
} from "../wire/stream-frames.js";
import type { PeerServerStats } from "./peer-handler.js";

export interface StreamServerOptions {
  /** `false` (`stream: false`): every upgrade is refused, as a Go peer would. */
  readonly enabled: boolean;
  readonly basePath: string;
  /** `"members"`: gets only from current members' addresses (checked at the upgrade and on every get). */
  readonly reads: "members" | "any";
  /** Largest request frame (a get's group, key and trace context): the server's `maxHeaderSize`. */
  readonly maxFrameBytes: number;
  /** ms a stream with no get in flight stays open without a request. */
  readonly idleTimeout: number;
  readonly logger: Logger;
}

interface Stream {
  readonly socket: Socket;
  /** The gets being served, by id: aborted by a cancel frame or when the stream closes. */
  readonly inflight: Map<number, AbortController>;
  closing: boolean;
}

/**
 * The server side of the peer stream (see `wire/stream-frames.ts`): answers the upgrade on the peer port and
 * serves the gets that follow through the engine's handler, with the protections of the HTTP path: reads by
 * members only (at the upgrade and on every get), a bound on request frames, bad input answered and counted,
 * never thrown. Streams are closed when idle and on `close()`, which waits for their gets in flight.
 */
export class StreamServer {
  readonly #handler: PeerRequestHandler;
  readonly #options: StreamServerOptions;
  readonly #stats: PeerServerStats;
  readonly #streams = new Set<Stream>();
  #upgrades = 0;
  #gets = 0;
  #protocolErrors = 0;
  #closed = false;

  constructor(handler: PeerRequestHandler, options: StreamServerOptions, stats: PeerServerStats) {
    this.#handler = handler;
    this.#options = options;
    this.#stats = stats;
  }

  /** Streams open now. */
  get open(): number {
    return this.#streams.size;
  }

  /** Streams opened so far. */
  get upgrades(): number {
    return this.#upgrades;
  }

  /** Gets served over streams so far (also counted in the server's `gets`). */
  get gets(): number {
    return this.#gets;
  }

  /** Streams closed for a malformed or oversized frame. */
  get protocolErrors(): number {
    return this.#protocolErrors;
  }

  /** node:http's `upgrade` listener (node:http types the socket as a Duplex; it is the connection's Socket). An upgrade to anything else is refused as Go's server would answer that path. */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const protocol = req.headers.upgrade ?? "";
    const path = (req.url ?? "").split("?")[0];
    if (
      this.#closed ||
      !this.#options.enabled ||
      req.method !== "GET" ||
      path !== this.#options.basePath + STREAM_PATH ||
      protocol.toLowerCase() !== STREAM_PROTOCOL
    ) {
      refuse(socket, 400, "bad request");
      return;
    }
    const address = req.socket.remoteAddress ?? "";
    if (this.#options.reads === "members" && !this.#handler.isMemberAddress(address)) {
      this.#stats.notMember++;
      refuse(socket, 403, `forbidden: peer reads are served to cluster members only, and ${address || "this address"} is none`);
      return;
    }
    this.#upgrades++;
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${STREAM_PROTOCOL}\r\n\r\n`);
    const stream: Stream = { socket, inflight: new Map(), closing: false };
    this.#streams.add(stream);
    const reader = new FrameReader(this.#options.maxFrameBytes, (frame) => this.#request(stream, frame, address));
    const onData = (chunk: Buffer): void => {
      try {
        reader.push(chunk);
      } catch (error) {
        // An oversized length prefix: nothing after it can be framed.
        this.#protocolErrors++;
        this.#stats.badRequests++;
        this.#options.logger.debug({ err: error, address }, "cachecluster: peer stream closed: bad frame");
        socket.destroy();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
    socket.once("close", () => {
      this.#streams.delete(stream);
      this.#stats.aborted += stream.inflight.size;
      const reason = new CacheClusterError("CACHECLUSTER_ABORTED", "the peer closed the stream before the answer");
      for (const controller of stream.inflight.values()) controller.abort(reason);
    });
    socket.setTimeout(this.#options.idleTimeout, () => {
      if (stream.inflight.size === 0) socket.end();
    });
    if (head.length > 0) onData(head);
  }

  /** Stops taking streams; ends the idle ones now and the others once their gets are answered (or `force`). */
  close(force = false): void {
    this.#closed = true;
    for (const stream of this.#streams) {
      stream.closing = true;
      if (force) stream.socket.destroy();
      else if (stream.inflight.size === 0) stream.socket.end();
    }
  }

  #request(stream: Stream, frame: Buffer, address: string): void {
    const stats = this.#stats;
    stats.requests++;
    let request: ReturnType<typeof decodeRequest>;
    try {
      request = decodeRequest(frame);
    } catch (error) {
      // The frame's bounds are known, so the stream stays usable; but its id may be garbage: answer it anyway.
      stats.badRequests++;
      this.#protocolErrors++;
      const id = frame.length >= 5 ? frame.readUInt32BE(1) : 0;
      this.#reply(stream, encodeErrorReply(id, REPLY_BAD_REQUEST, `bad request: ${describeError(error)}`));
      return;
    }
    if (request.kind === KIND_CANCEL) {
      const controller = stream.inflight.get(request.id);
      if (controller !== undefined) {
        stream.inflight.delete(request.id);
        stats.aborted++;
        controller.abort(new CacheClusterError("CACHECLUSTER_ABORTED", "the peer cancelled the get"));
        this.#settled(stream);
      }
      return;
    }
    stats.gets++;
    this.#gets++;
    const { id, group, key } = request;
    if (this.#options.reads === "members" && !this.#handler.isMemberAddress(address)) {
      stats.notMember++;
      this.#reply(stream, encodeErrorReply(id, REPLY_FORBIDDEN, `forbidden: peer reads are served to cluster members only, and ${address} is none`));
      return;
    }
    if (stream.inflight.has(id)) {
      stats.badRequests++;
      this.#reply(stream, encodeErrorReply(id, REPLY_BAD_REQUEST, `bad request: get ${id} is already in flight on this stream`));
      return;
    }
    // A hit in this node's caches is answered at once: no promise, no AbortController.
    const cached = request.trace === undefined ? this.#handler.getCached?.(group, key) : undefined;
    if (cached !== undefined) {
      this.#reply(stream, encodeOkReply(id, cached.value, cached.expire));
      return;
    }
    const controller = new AbortController();
    stream.inflight.set(id, controller);
    const options = request.trace === undefined ? { signal: controller.signal } : { signal: controller.signal, traceContext: decodeTrace(request.trace) };
    this.#handler.get(group, key, options).then(
      (got) => {
        if (!this.#done(stream, id, controller)) return;
        this.#reply(stream, encodeOkReply(id, got.value, got.expire));
      },
      (error: unknown) => {
        if (!this.#done(stream, id, controller)) return;
        if (error instanceof CacheClusterError && error.code === "CACHECLUSTER_NO_SUCH_GROUP") {
          stats.notFound++;
          this.#reply(stream, encodeErrorReply(id, REPLY_NO_SUCH_GROUP, `no such group: ${group}`));
          return;
        }
        if (stream.socket.destroyed) return;
        stats.errors++;
        const text = error instanceof LoaderError && error.code === "CACHECLUSTER_LOADER_FAILED" ? describeError(error.cause) : describeError(error);
        this.#options.logger.debug({ err: error, group, key }, "cachecluster: peer request failed");
        this.#reply(stream, encodeErrorReply(id, REPLY_ERROR, text));
      },
    );
  }

  /** The get `id` has its answer: false if it was cancelled meanwhile (nobody waits for the answer). */
  #done(stream: Stream, id: number, controller: AbortController): boolean {
    if (stream.inflight.get(id) !== controller) return false;
    stream.inflight.delete(id);
    this.#settled(stream);
    return true;
  }

  #settled(stream: Stream): void {
    if (stream.closing && stream.inflight.size === 0) queueMicrotask(() => stream.socket.end());
  }

  /** Writes a reply; the replies that are ready in the same turn of the event loop leave in one write. */
  #reply(stream: Stream, frame: Buffer): void {
    if (stream.socket.writable) writeFrame(stream.socket, frame);
  }
}

function refuse(socket: Socket, status: 400 | 403, text: string): void {
  const reason = status === 400 ? "Bad Request" : "Forbidden";
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
