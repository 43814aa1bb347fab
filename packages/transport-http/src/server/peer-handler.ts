import type { IncomingMessage, ServerResponse } from "node:http";
import { setMaxListeners } from "node:events";
import type { Socket } from "node:net";
import {
  CacheClusterError,
  type Clock,
  DecodeError,
  type Logger,
  type PeerRequestHandler,
  LoaderError,
  silentLogger,
  systemClock,
  describeError,
} from "@cachecluster/core";
import { type HttpTransportOptionsInput, parseHttpTransportOptions } from "../options.js";
import { decodeSetRequest, encodeGetResponse } from "../wire/messages.js";
import { parseBatchPath, parsePeerPath } from "./peer-path.js";
import { batchPathOf } from "../wire/get-many.js";
import { createBatchRoute } from "./batch-route.js";
import { declaredLength, readBodyOrRefuse } from "./read-body.js";
import { sendText } from "./respond.js";
import { UploadGate } from "./upload-gate.js";
import { SignedWrites } from "./signed-writes.js";
import { SIGNATURE_SCHEME, bodyDigest } from "../wire/write-signature.js";

/** Uploads that may wait for a slot, per slot (`maxConcurrentSets`). */
const UPLOAD_QUEUE_FACTOR = 8;

/** Nonces of signed writes remembered at most (~100 bytes each): 10,000 signed writes/s in a 10 s window. */
export const REPLAY_CAPACITY = 100_000;

/** Counters of the peer server; bad input is counted here, never thrown. */
export interface PeerServerStats {
  /** Requests on the peer path (any method). */
  requests: number;
  gets: number;
  /** Batch requests (`getMany` of a peer: POST on the batch route). */
  batches: number;
  /** Keys asked for in batches (each one a get here). */
  batchKeys: number;
  /** Keys of batches answered with their loader's error (the batch itself is a 200). */
  batchKeyErrors: number;
  /** Values left out of batch answers to keep them within `maxBatchResponseBytes` (the client fetches each alone). */
  batchValuesOmitted: number;
  removes: number;
  sets: number;
  /** 400: malformed path, escapes, UTF-8 or `set` body. */
  badRequests: number;
  /** 405: a method other than GET, PUT and DELETE (POST on the batch route; nothing is loaded). */
  methodNotAllowed: number;
  /** 404: unknown group (or a path outside the base path). */
  notFound: number;
  /** 403: a request from an address that is no current member's (writes without `secretKeys`; reads with `reads: "members"`). */
  notMember: number;
  /** 401: a write without a signature, where `secretKeys` are set. */
  unsigned: number;
  /** 401: a write whose signature is malformed, made with another key, or does not match its request or body. */
  badSignature: number;
  /** 401: a signed write whose timestamp is more than `signatureWindow` off this node's clock. */
  stale: number;
  /** 401: a signed write seen before (its nonce is in the replay cache). */
  replayed: number;
  /** 413: `set` body over `maxSetBytes`, batch over `maxBatchRequestBytes` or `maxBatchKeys` (declared, or cut off once streamed past it). */
  tooLarge: number;
  /** 503: a set found `maxConcurrentSets` bodies being read and the waiting line full (or the replay cache full). */
  busy: number;
  /** 500: the loader or the handler failed. */
  errors: number;
  /** Requests whose client went away before the answer (a get's load signal is aborted; a set's body was cut short). */
  aborted: number;
}

export function emptyPeerServerStats(): PeerServerStats {
  return {
    requests: 0,
    gets: 0,
    batches: 0,
    batchKeys: 0,
    batchKeyErrors: 0,
    batchValuesOmitted: 0,
    removes: 0,
    sets: 0,
    badRequests: 0,
    methodNotAllowed: 0,
    notMember: 0,
    unsigned: 0,
    badSignature: 0,
    stale: 0,
    replayed: 0,
    notFound: 0,
    tooLarge: 0,
    busy: 0,
    errors: 0,
    aborted: 0,
  };
}

/** What the peer server holds now (gauges). */
export interface PeerServerGauges {
  /** Set bodies being read. */
  readonly uploadsActive: number;
  /** Sets waiting for an upload slot, their bodies unread. */
  readonly uploadsWaiting: number;
  /** Nonces of signed writes remembered (replay cache). */
  readonly replayCacheEntries: number;
}

/** A node:http request listener for the peer protocol, with its counters and gauges. */
export type PeerHttpHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  readonly stats: PeerServerStats;
  gauges(): PeerServerGauges;
};

export interface PeerHandlerDeps {
  readonly logger?: Logger;
  /** Time for signature windows; default the system clock. */
  readonly clock?: Pick<Clock, "now">;
}

/**
 * Serves `{basePath}{group}/{key}` as golang/groupcache's `HTTPPool` does, plus the extensions:
 * - GET is a get: 200 `application/x-protobuf` `GetResponse` (`expire` = field 3, ns since epoch, when the
 *   value has one); with `reads: "members"` (the default) only for current members' addresses, else 403;
 * - PUT and DELETE are admitted by signature (`secretKeys`) or else by a member's address (401/403 otherwise);
 * - DELETE removes the key here (main and hot cache): 200, empty body (mailgun/groupcache's form);
 * - PUT with a protobuf `SetRequest` body stores the value here: 200, empty body (mailgun's form);
 * - errors as Go's `http.Error`: 400 `bad request`, 404 `no such group: <g>`, 500 the loader's error text,
 *   413 for a body over `maxSetBytes`, 503 when `maxConcurrentSets` bodies are being read and 8 times as many
 *   wait, all `text/plain; charset=utf-8` with a trailing newline;
 * - any other method is 405 with `Allow: GET, PUT, DELETE`, and runs no loader (golang/groupcache answers
 *   every method as a get, but its clients only send GET);
 * - `POST {batchPath}{group}` (next to the base path: `/_groupcache/` → `/_groupcache_batch/`) is a batch of gets
 *   from a cachecluster peer's `getMany`, with the same protections; see `createBatchRoute`.
 *
 * Requests are handed to `handler`, which serves locally and never forwards. When the client goes away,
 * the signal given to `handler.get` is aborted. Use it on your own server:
 * `http.createServer(createPeerHandler(cluster.peerHandler))`. Paths outside `basePath` get 404.
 */
export function createPeerHandler(handler: PeerRequestHandler, options?: HttpTransportOptionsInput, deps: PeerHandlerDeps = {}): PeerHttpHandler {
  const opts = parseHttpTransportOptions(options);
  const basePath = opts.basePath;
  const maxSetBytes = opts.maxSetBytes;
  const uploads = new UploadGate(opts.maxConcurrentSets, opts.maxConcurrentSets * UPLOAD_QUEUE_FACTOR);
  const logger = deps.logger ?? silentLogger;
  const stats = emptyPeerServerStats();
  const signed =
    opts.secretKeys.length === 0
      ? undefined
      : new SignedWrites({
          secrets: opts.secretKeys.map((k) => Buffer.from(k, "base64")),
          window: opts.signatureWindow,
          replayCapacity: REPLAY_CAPACITY,
          clock: deps.clock ?? systemClock,
        });
  if (signed === undefined) {
    logger.warn(
      { basePath },
      `cachecluster: the peer plane is unauthenticated: without [cache] secret_keys, PUT and DELETE on ${basePath} are accepted from the address of any current member, ` +
        "so any process on a member's host can overwrite or drop cached values. Set [cache] secret_keys (openssl rand -base64 32) on every node to sign writes; see SECURITY.md",
    );
  }

  /**
   * Admits a write, or answers its refusal and returns undefined. With secrets, by its signature: returns the
   * signed digest of its body. Without, by its source address, a current member's: returns "".
   */
  const admitWrite = (req: IncomingMessage, res: ServerResponse, method: "PUT" | "DELETE", group: string, key: string): string | undefined => {
    if (signed === undefined) {
      if (handler.isMemberAddress(req.socket.remoteAddress ?? "")) return "";
      stats.notMember++;
      sendText(req, res, 403, `forbidden: ${method} is accepted from cluster members only, and ${req.socket.remoteAddress ?? "this address"} is none`);
      return undefined;
    }
    const admission = signed.admit(req, method, group, key);
    if (admission.ok) return admission.digest;
    stats[admission.reason]++;
    sendText(req, res, admission.status, admission.text, admission.headers);
    return undefined;
  };

  const failWith = (req: IncomingMessage, res: ServerResponse, error: unknown, group: string, key: string): void => {
    if (error instanceof CacheClusterError && error.code === "CACHECLUSTER_NO_SUCH_GROUP") {
      stats.notFound++;
      sendText(req, res, 404, `no such group: ${group}`);
      return;
    }
    if (error instanceof CacheClusterError && error.code === "CACHECLUSTER_ABORTED" && res.destroyed) return;
    stats.errors++;
    // Go answers the getter's own error text; a LoaderError's cause is the user's loader error.
    const text = error instanceof LoaderError && error.code === "CACHECLUSTER_LOADER_FAILED" ? describeError(error.cause) : describeError(error);
    logger.debug({ err: error, group, key }, "cachecluster: peer request failed");
    sendText(req, res, 500, text);
  };

  /**
   * One AbortController per connection, not per request: a peer's requests on one keep-alive connection
   * come one after another, and the connection closing is what aborts them. Cheaper on the hot path.
   */
  const connections = new WeakMap<Socket, { controller: AbortController; inflight: number }>();
  const connectionOf = (socket: Socket): { controller: AbortController; inflight: number } => {
    let state = connections.get(socket);
    if (state === undefined) {
      const created = { controller: new AbortController(), inflight: 0 };
      // Each key of a batch (and each pipelined get) listens to it while it loads.
      setMaxListeners(0, created.controller.signal);
      state = created;
      connections.set(socket, created);
      socket.once("close", () => {
        stats.aborted += created.inflight;
        created.controller.abort(new CacheClusterError("CACHECLUSTER_ABORTED", "the peer closed the connection before the answer"));
      });
    }
    return state;
  };

  const batchPath = batchPathOf(basePath);
  const serveBatch = createBatchRoute({
    handler,
    options: opts,
    stats,
    logger,
    connection: (req) => {
      const connection = connectionOf(req.socket);
      connection.inflight++;
      return { signal: connection.controller.signal, done: () => void connection.inflight-- };
    },
  });

  const membersOnly = opts.reads === "members";
  const serveGet = async (req: IncomingMessage, res: ServerResponse, group: string, key: string): Promise<void> => {
    stats.gets++;
    if (membersOnly && !handler.isMemberAddress(req.socket.remoteAddress ?? "")) {
      stats.notMember++;
      sendText(req, res, 403, `forbidden: peer reads are served to cluster members only, and ${req.socket.remoteAddress ?? "this address"} is none`);
      return;
    }
    const connection = connectionOf(req.socket);
    connection.inflight++;
    try {
      // The headers carry the caller's trace context (W3C traceparent) for the engine's span; a Go peer sends none.
      const got = await handler.get(group, key, { signal: connection.controller.signal, traceContext: req.headers });
      if (res.destroyed) return;
      const body = encodeGetResponse(got.value, got.expire);
      // A flat header array is node:http's cheapest path; peers have no use for a Date header.
      res.sendDate = false;
      res.writeHead(200, ["Content-Type", "application/x-protobuf", "Content-Length", String(body.length)]);
      res.end(body);
    } catch (error) {
      if (res.destroyed) return;
      failWith(req, res, error, group, key);
    } finally {
      connection.inflight--;
    }
  };

  const serveRemove = async (req: IncomingMessage, res: ServerResponse, group: string, key: string): Promise<void> => {
    stats.removes++;
    if (admitWrite(req, res, "DELETE", group, key) === undefined) return;
    try {
      await handler.remove(group, key);
      res.writeHead(200, { "Content-Length": 0 });
      res.end();
    } catch (error) {
      failWith(req, res, error, group, key);
    }
  };

  const serveSet = async (req: IncomingMessage, res: ServerResponse, group: string, key: string): Promise<void> => {
    stats.sets++;
    const digest = admitWrite(req, res, "PUT", group, key);
    if (digest === undefined) return;
    const declared = declaredLength(req);
    if (declared !== undefined && declared > maxSetBytes) {
      stats.tooLarge++;
      sendText(req, res, 413, `request body too large: ${declared} bytes, at most ${maxSetBytes}`);
      return;
    }
    if (!(await uploads.enter(req.socket))) {
      if (req.socket.destroyed) return;
      stats.busy++;
      sendText(req, res, 503, `too many uploads in progress (${uploads.limit} read at once, ${uploads.queueLimit} waiting); retry later`, {
        "Retry-After": "1",
      });
      return;
    }
    try {
      await applySet(req, res, group, key, declared, digest);
    } finally {
      uploads.leave();
    }
  };

  const applySet = async (
    req: IncomingMessage,
    res: ServerResponse,
    group: string,
    key: string,
    declared: number | undefined,
    digest: string,
  ): Promise<void> => {
    const body = await readBodyOrRefuse(req, res, maxSetBytes, declared, stats, (message) => sendText(req, res, 413, message));
    if (body === undefined) return;
    if (signed !== undefined && bodyDigest(body) !== digest) {
      stats.badSignature++;
      sendText(req, res, 401, "unauthorized: the body is not the one signed", { "WWW-Authenticate": SIGNATURE_SCHEME });
      return;
    }
    let message: ReturnType<typeof decodeSetRequest>;
    try {
      message = decodeSetRequest(body);
    } catch (error) {
      stats.badRequests++;
      sendText(req, res, 400, `bad request: ${error instanceof DecodeError ? error.message : describeError(error)}`);
      return;
    }
    if (message.group !== group || message.key !== key) {
      stats.badRequests++;
      sendText(req, res, 400, "bad request: the SetRequest names another group or key than the path");
      return;
    }
    try {
      await handler.set(group, key, message.expire === undefined ? { value: message.value } : { value: message.value, expire: message.expire });
      res.writeHead(200, { "Content-Length": 0 });
      res.end();
    } catch (error) {
      failWith(req, res, error, group, key);
    }
  };

  /** Serves the request when it is for the batch route; false when it is not. */
  const batchRequest = (req: IncomingMessage, res: ServerResponse, url: string): boolean => {
    if (!url.startsWith(batchPath) && url.startsWith("/")) return false;
    const parsed = parseBatchPath(url, batchPath);
    if (!parsed.ok) {
      if (parsed.reason === "not-peer-path") return false;
      stats.requests++;
      stats.badRequests++;
      sendText(req, res, 400, "bad request: expected the batch route's path to be {batchPath}{group}");
      return true;
    }
    serveBatch(req, res, parsed.group).catch((error: unknown) => {
      stats.errors++;
      logger.error({ err: error }, "cachecluster: peer batch handler failed");
      res.destroy();
    });
    return true;
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const url = req.url ?? "";
      if (batchRequest(req, res, url)) return;
      const parsed = parsePeerPath(url, basePath);
      if (!parsed.ok) {
        if (parsed.reason === "not-peer-path") {
          stats.notFound++;
          sendText(req, res, 404, "404 page not found");
        } else {
          stats.requests++;
          stats.badRequests++;
          sendText(req, res, 400, "bad request");
        }
        return;
      }
      stats.requests++;
      const { group, key } = parsed;
      const method = req.method;
      let pending: Promise<void>;
      if (method === "GET") pending = serveGet(req, res, group, key);
      else if (method === "PUT") pending = serveSet(req, res, group, key);
      else if (method === "DELETE") pending = serveRemove(req, res, group, key);
      else {
        stats.methodNotAllowed++;
        sendText(req, res, 405, `method not allowed: ${method ?? ""}; the peer protocol serves GET, PUT and DELETE`, { Allow: "GET, PUT, DELETE" });
        return;
      }
      pending.catch((error: unknown) => {
        stats.errors++;
        logger.error({ err: error }, "cachecluster: peer request handler failed");
        res.destroy();
      });
    } catch (error) {
      stats.errors++;
      logger.error({ err: error }, "cachecluster: peer request handler failed");
      res.destroy();
    }
  };
  const gauges = (): PeerServerGauges => ({ uploadsActive: uploads.active, uploadsWaiting: uploads.waiting, replayCacheEntries: signed?.remembered ?? 0 });
  return Object.assign(listener, { stats, gauges });
}
