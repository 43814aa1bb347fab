import type { TlsMaterial } from "../tls-material.js";
import { STATUS_CODES } from "node:http";
import { isIP } from "node:net";
import {
  DecodeError,
  type PeerBatchResult,
  type PeerCallOptions,
  PeerError,
  type PeerValue,
  type TraceCarrier,
  type TransportClient,
  describeError,
} from "@cachecluster/core";
import { Pool } from "undici";
import type { HttpTransportOptions } from "../options.js";
import { escapeSegment } from "../wire/escape.js";
import { decodeGetResponse, encodeSetRequest } from "../wire/messages.js";
import { BATCH_HEADER, type DecodedBatchEntry, batchPathOf, decodeGetManyResponse, encodeGetManyRequest } from "../wire/get-many.js";
import { splitBatch } from "./split-batch.js";
import { signWrite } from "../wire/write-signature.js";
import { Deadlines } from "./deadlines.js";
import { ERROR_TEXT_LIMIT, requestError, statusError } from "./peer-errors.js";
import { PeerStream } from "./peer-stream.js";
import { encodeTrace } from "../wire/stream-frames.js";
import { BodyLimitError, DeadlineError, type ExchangeResponse, exchange, headerOf } from "./exchange.js";

interface Peer {
  readonly pool: Pool;
  readonly url: URL;
  /** The peer stream, while one is opening or open. */
  stream: PeerStream | undefined;
  /** `performance.now()` before which no stream is asked for (the peer refused one: a Go peer). */
  streamRetryAt: number;
  /** Path of the peer's base URL plus the base path, e.g. `/_groupcache/`. */
  readonly prefix: string;
  /** Path of the peer's base URL plus the batch route's path, e.g. `/_groupcache_batch/`. */
  readonly batchPrefix: string;
  /** `performance.now()` of the last call to this peer. */
  lastUsed: number;
  /** The peer answered from its batch route: failures of a batch are its failures, not a sign it has none. */
  batches: boolean;
  /** `performance.now()` until which this peer gets single-key fetches (it has no batch route); 0: try batches. */
  singleUntil: number;
}

/** How long a peer found without the batch route gets single-key fetches before a batch is tried again (an upgrade). */
const SINGLE_FETCH_MS = 60_000;

export type HttpClientOptions = Pick<
  HttpTransportOptions,
  | "basePath"
  | "timeout"
  | "connectTimeout"
  | "connections"
  | "pipelining"
  | "keepAliveTimeout"
  | "maxResponseBytes"
  | "idlePoolTimeout"
  | "maxBatchKeys"
  | "maxBatchRequestBytes"
  | "secretKeys"
  | "localAddress"
  | "stream"
>;

/** ms before a peer that refused the stream (a Go peer) is asked again: the address may be a Node peer's by then. */
export const STREAM_RETRY_MS = 60_000;
/** ms before a stream that failed to open (unreachable peer, no answer in time) is tried again. */
const STREAM_FAILED_RETRY_MS = 1000;

/**
 * The peer client: one undici keep-alive `Pool` per peer origin. `fetch` sends golang/groupcache's GET;
 * `remove` and `set` send DELETE and PUT (mailgun/groupcache's forms). Every failure rejects with a
 * `PeerError`: `CACHECLUSTER_PEER_FETCH_FAILED` (unreachable, timeout, abort, non-200 answer) or
 * `CACHECLUSTER_PEER_RESPONSE_INVALID` (undecodable or oversized body; a peer that does not know the extension).
 * A call fails once `timeout` has passed, whatever phase it is in. A peer's pool unused for `idlePoolTimeout`
 * is closed and forgotten, so the pools of departed peers do not pile up in an autoscaling fleet.
 */
export class HttpTransportClient implements TransportClient {
  readonly #options: HttpClientOptions;
  readonly #peers = new Map<string, Peer>();
  readonly #deadlines: Deadlines;
  /** The secret that signs writes (the first of `secretKeys`), if any. */
  readonly #signingKey: Buffer | undefined;
  /** `performance.now()` of the last look for idle pools. */
  #lastSweep = performance.now();
  #poolsClosedIdle = 0;
  #streamsOpened = 0;
  #streamsRefused = 0;
  #closed = false;
  /** Source address of new connections (`localAddress`, else the server's listening IP once known). */
  #localAddress: string | undefined;

  /** Client side of `tls`: the CA to trust and the certificate to present to `https:` peers. */
  readonly #tls: TlsMaterial | undefined;

  constructor(options: HttpClientOptions, tls?: TlsMaterial) {
    this.#options = options;
    this.#tls = tls;
    this.#deadlines = new Deadlines(options.timeout);
    const first = options.secretKeys[0];
    this.#signingKey = first === undefined ? undefined : Buffer.from(first, "base64");
    this.#localAddress = options.localAddress;
  }

  /**
   * Makes new connections to peers from `address` (undefined: the system's choice), unless the `localAddress`
   * option was given. The transport calls it with its server's listening IP; pools opened before keep theirs.
   */
  useLocalAddress(address: string | undefined): void {
    if (this.#options.localAddress === undefined) this.#localAddress = address;
  }

  /**
   * Peer pools held now and pools closed so far because they were idle; peer streams open now, opened so far,
   * and refused (peers that answered the upgrade otherwise: Go peers, or Node peers with `stream: false`).
   */
  get poolStats(): { pools: number; closedIdle: number; streams: number; streamsOpened: number; streamsRefused: number } {
    let streams = 0;
    for (const peer of this.#peers.values()) if (peer.stream?.state === "open") streams++;
    return { pools: this.#peers.size, closedIdle: this.#poolsClosedIdle, streams, streamsOpened: this.#streamsOpened, streamsRefused: this.#streamsRefused };
  }

  fetch(peerUrl: string, group: string, key: string, options?: PeerCallOptions): Promise<PeerValue> {
    // Not async, one `then`: the peer hot path costs one promise besides the exchange's own.
    let peer: Peer;
    try {
      peer = this.#peer(peerUrl);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // #peer just read the clock into lastUsed: the call's deadline starts from it.
    const stream = this.#openStreamOf(peerUrl, peer);
    // Over the stream, the abort is watched without an AbortSignal where the caller gives `abortWatch`.
    if (stream !== undefined) return stream.get(group, key, options?.abortWatch ?? options?.signal, encodeTrace(options?.traceContext), peer.lastUsed);
    return this.#httpFetch(peerUrl, peer, group, key, options?.signal, options?.traceContext);
  }

  /** golang/groupcache's GET over the peer's undici pool. */
  #httpFetch(
    peerUrl: string,
    peer: Peer,
    group: string,
    key: string,
    signal: AbortSignal | undefined,
    traceContext: TraceCarrier | undefined,
  ): Promise<PeerValue> {
    const path = `${peer.prefix}${escapeSegment(group)}/${escapeSegment(key)}`;
    // The caller's trace context (W3C traceparent) as headers; golang/groupcache ignores them.
    const headers = traceHeaders(traceContext);
    const request = headers === undefined ? { path, method: "GET" as const, signal } : { path, method: "GET" as const, signal, headers };
    return exchange(peer.pool, request, this.#options.maxResponseBytes, ERROR_TEXT_LIMIT, this.#deadlines, peer.lastUsed).then(
      (response) => {
        if (response.status !== 200) throw statusError(peerUrl, "GET", path, response.status, response.body);
        try {
          // Only the fields present: `{ value }` for every golang/groupcache answer.
          return decodeGetResponse(response.body);
        } catch (error) {
          throw new PeerError(peerUrl, `GET ${path}: ${error instanceof DecodeError ? error.message : describeError(error)}`, {
            cause: error,
            code: "CACHECLUSTER_PEER_RESPONSE_INVALID",
          });
        }
      },
      (error: unknown) => {
        throw this.#failure(peerUrl, "GET", path, error, signal);
      },
    );
  }

  /**
   * The peer's stream when it is open; else undefined, after asking for one when none is opening and the peer
   * did not refuse lately: until the peer accepts it, and if it refuses, gets go over HTTP.
   */
  #openStreamOf(peerUrl: string, peer: Peer): PeerStream | undefined {
    if (!this.#options.stream) return undefined;
    const stream = peer.stream;
    if (stream?.state === "open") return stream;
    if (stream === undefined && peer.lastUsed >= peer.streamRetryAt) this.#openStream(peerUrl, peer);
    return undefined;
  }

  /** Opens the peer stream, used once the peer accepts it. */
  #openStream(peerUrl: string, peer: Peer): PeerStream {
    const o = this.#options;
    const stream = new PeerStream({
      peerUrl,
      url: peer.url,
      prefix: peer.prefix,
      connectTimeout: o.connectTimeout,
      maxResponseBytes: o.maxResponseBytes,
      idleTimeout: o.keepAliveTimeout,
      localAddress: this.#localAddressFor(peer.url.hostname),
      tls: peer.url.protocol === "https:" ? this.#tlsConnect() : undefined,
      deadlines: this.#deadlines,
      onEnd: (ended, how) => {
        if (peer.stream === ended) peer.stream = undefined;
        if (how === "refused") {
          peer.streamRetryAt = performance.now() + STREAM_RETRY_MS;
          this.#streamsRefused++;
        } else if (how === "failed") peer.streamRetryAt = performance.now() + STREAM_FAILED_RETRY_MS;
      },
    });
    peer.stream = stream;
    this.#streamsOpened++;
    return stream;
  }

  /**
   * The values of `keys` from one peer: `POST {batchPath}{group}` (split into requests of at most `maxBatchKeys`
   * keys and `maxBatchRequestBytes`), or one `fetch` per key where the peer has no batch route. A peer is found
   * without one by its answer to the first batch: a 404, 405 or 501 without the `cachecluster-batch` header
   * (golang/groupcache's ServeMux answers 404), or, before it ever answered a batch, a connection closed
   * without an answer while its single-key path works. It then gets single-key fetches for a minute, and a
   * batch is tried again (the peer may have been upgraded). A key the peer left out of its answer (its response
   * byte limit) and a batch it refused as too large are fetched key by key.
   */
  fetchMany(peerUrl: string, group: string, keys: readonly string[], options: PeerCallOptions = {}): Promise<PeerBatchResult[]> {
    let peer: Peer;
    try {
      peer = this.#peer(peerUrl);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (keys.length === 0) return Promise.resolve([]);
    // Over an open peer stream, the keys' get frames leave in one write: a batch without the batch route's
    // wait for the slowest key at the owner (each answer comes as soon as it is ready).
    const stream = this.#openStreamOf(peerUrl, peer);
    if (stream !== undefined) return stream.getMany(group, keys, options.abortWatch ?? options.signal, encodeTrace(options.traceContext), peer.lastUsed);
    if (peer.singleUntil > peer.lastUsed) return this.#fetchEach(peerUrl, group, keys, options);
    const batches = splitBatch(keys, this.#options.maxBatchKeys, this.#options.maxBatchRequestBytes);
    if (batches.length === 1) return this.#fetchBatch(peerUrl, peer, group, keys, options);
    return Promise.all(batches.map((batch) => this.#fetchBatch(peerUrl, peer, group, batch, options))).then((parts) => parts.flat());
  }

  async #fetchBatch(peerUrl: string, peer: Peer, group: string, keys: readonly string[], options: PeerCallOptions): Promise<PeerBatchResult[]> {
    const path = `${peer.batchPrefix}${escapeSegment(group)}`;
    const { signal } = options;
    const headers: Record<string, string> = { "content-type": "application/x-protobuf", ...traceHeaders(options.traceContext) };
    let response: ExchangeResponse;
    try {
      response = await exchange(
        peer.pool,
        { path, method: "POST", body: encodeGetManyRequest(keys), headers, signal },
        this.#options.maxResponseBytes,
        ERROR_TEXT_LIMIT,
        this.#deadlines,
        peer.lastUsed,
      );
    } catch (error) {
      const failure = this.#failure(peerUrl, "POST", path, error, signal);
      // A Go server whose whole handler is an HTTPPool panics on a path outside its base path and drops the connection.
      if (peer.batches || signal?.aborted === true || failure.status !== undefined || error instanceof DeadlineError) throw failure;
      const results = await this.#fetchEach(peerUrl, group, keys, options);
      if (results.some((r) => r.status === "fulfilled")) peer.singleUntil = performance.now() + SINGLE_FETCH_MS;
      return results;
    }
    const fromBatchRoute = headerOf(response.rawHeaders, BATCH_HEADER) !== undefined;
    if (!fromBatchRoute && (response.status === 404 || response.status === 405 || response.status === 501)) {
      peer.singleUntil = performance.now() + SINGLE_FETCH_MS;
      return this.#fetchEach(peerUrl, group, keys, options);
    }
    if (fromBatchRoute) peer.batches = true;
    if (fromBatchRoute && response.status === 413) return this.#fetchEach(peerUrl, group, keys, options);
    if (response.status !== 200) throw statusError(peerUrl, "POST", path, response.status, response.body);
    let entries: DecodedBatchEntry[];
    try {
      entries = decodeGetManyResponse(response.body, keys.length);
    } catch (error) {
      throw new PeerError(peerUrl, `POST ${path}: ${error instanceof DecodeError ? error.message : describeError(error)}`, {
        cause: error,
        code: "CACHECLUSTER_PEER_RESPONSE_INVALID",
      });
    }
    const results: PeerBatchResult[] = [];
    const omitted: Promise<void>[] = [];
    for (const [i, entry] of entries.entries()) {
      if (entry.kind === "value") {
        results.push({ status: "fulfilled", value: entry.response });
        continue;
      }
      const key = keys[i] as string;
      if (entry.kind === "error") {
        const text = `POST ${path}: key ${JSON.stringify(key)}: server returned 500 ${STATUS_CODES[500] ?? ""}: ${entry.text}`;
        results.push({ status: "rejected", reason: new PeerError(peerUrl, text, { status: 500 }) });
        continue;
      }
      results.push({ status: "rejected", reason: undefined });
      omitted.push(settled(this.fetch(peerUrl, group, key, options)).then((result) => void (results[i] = result)));
    }
    if (omitted.length > 0) await Promise.all(omitted);
    return results;
  }

  #fetchEach(peerUrl: string, group: string, keys: readonly string[], options: PeerCallOptions): Promise<PeerBatchResult[]> {
    return Promise.allSettled(keys.map((key) => this.fetch(peerUrl, group, key, options)));
  }

  async remove(peerUrl: string, group: string, key: string, options: PeerCallOptions = {}): Promise<void> {
    await this.#mutate(peerUrl, "DELETE", group, key, undefined, options);
  }

  async set(peerUrl: string, group: string, key: string, value: PeerValue, options: PeerCallOptions = {}): Promise<void> {
    await this.#mutate(peerUrl, "PUT", group, key, encodeSetRequest(group, key, value.value, value.expire), options);
  }

  /** Closes every pool, letting in-flight requests finish. Later calls reject with a PeerError. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#deadlines.close();
    const pools = [...this.#peers.values()].map((p) => p.pool);
    for (const peer of this.#peers.values()) peer.stream?.close();
    this.#peers.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => undefined)));
  }

  async #mutate(peerUrl: string, method: "DELETE" | "PUT", group: string, key: string, body: Uint8Array | undefined, options: PeerCallOptions): Promise<void> {
    const peer = this.#peer(peerUrl);
    const path = `${peer.prefix}${escapeSegment(group)}/${escapeSegment(key)}`;
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/x-protobuf";
    if (this.#signingKey !== undefined) headers.authorization = signWrite(this.#signingKey, method, group, key, body, Date.now());
    const response = await this.#exchange(peerUrl, peer, method, path, body, headers, options.signal);
    // golang/groupcache answers every method as a GET: a protobuf body means the extension is unknown there.
    if ((headerOf(response.rawHeaders, "content-type") ?? "").startsWith("application/x-protobuf")) {
      const what = method === "DELETE" ? "remove" : "set";
      throw new PeerError(peerUrl, `${method} ${path}: the peer does not support ${what} (it answered ${method} as a GET, as golang/groupcache does)`, {
        code: "CACHECLUSTER_PEER_RESPONSE_INVALID",
        status: response.status,
      });
    }
  }

  /** One request; resolves only with a 200 answer, every other outcome is a PeerError. */
  async #exchange(
    peerUrl: string,
    peer: Peer,
    method: "GET" | "PUT" | "DELETE",
    path: string,
    body: Uint8Array | undefined,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<ExchangeResponse> {
    let response: ExchangeResponse;
    try {
      response = await exchange(
        peer.pool,
        body === undefined ? { path, method, signal, headers } : { path, method, signal, body, headers },
        this.#options.maxResponseBytes,
        ERROR_TEXT_LIMIT,
        this.#deadlines,
        peer.lastUsed,
      );
    } catch (error) {
      throw this.#failure(peerUrl, method, path, error, signal);
    }
    if (response.status !== 200) throw statusError(peerUrl, method, path, response.status, response.body);
    return response;
  }

  /** The PeerError for an exchange that failed (unreachable, timeout, abort, oversized body). */
  #failure(peerUrl: string, method: string, path: string, error: unknown, signal: AbortSignal | undefined): PeerError {
    if (error instanceof BodyLimitError) {
      if (error.status !== 200) return statusError(peerUrl, method, path, error.status, error.prefix);
      return new PeerError(peerUrl, `${method} ${path}: response exceeds maxResponseBytes (${this.#options.maxResponseBytes})`, {
        code: "CACHECLUSTER_PEER_RESPONSE_INVALID",
        status: 200,
      });
    }
    return requestError(peerUrl, method, path, error, signal);
  }

  #peer(peerUrl: string): Peer {
    if (this.#closed) throw new PeerError(peerUrl, "the transport client is stopped");
    const now = performance.now();
    if (now - this.#lastSweep > this.#options.idlePoolTimeout / 2) this.#closeIdlePools(now);
    let peer = this.#peers.get(peerUrl);
    if (peer !== undefined) {
      peer.lastUsed = now;
      return peer;
    }
    let url: URL;
    try {
      url = new URL(peerUrl);
    } catch (cause) {
      throw new PeerError(peerUrl, `expected a peer base URL such as http://10.0.0.7:9080, got ${JSON.stringify(peerUrl)}`, { cause });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new PeerError(peerUrl, `expected an http: or https: peer URL, got ${url.protocol}`);
    }
    const o = this.#options;
    const localAddress = this.#localAddressFor(url.hostname);
    const pool = new Pool(url.origin, {
      connections: o.connections,
      pipelining: o.pipelining,
      keepAliveTimeout: o.keepAliveTimeout,
      headersTimeout: o.timeout,
      bodyTimeout: o.timeout,
      connect: url.protocol === "https:" ? { timeout: o.connectTimeout, ...this.#tlsConnect() } : { timeout: o.connectTimeout },
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    const base = url.pathname.replace(/\/+$/, "");
    peer = {
      pool,
      url,
      prefix: base + o.basePath,
      batchPrefix: base + batchPathOf(o.basePath),
      lastUsed: now,
      stream: undefined,
      streamRetryAt: 0,
      batches: false,
      singleUntil: 0,
    };
    this.#peers.set(peerUrl, peer);
    return peer;
  }

  #tlsConnect(): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
    const tls = this.#tls;
    if (tls === undefined) return {};
    return { cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca }) };
  }

  /** The source address for connections to a peer host: the local address, when there is one of the host's family. */
  #localAddressFor(hostname: string): string | undefined {
    const local = this.#localAddress;
    const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
    const family = isIP(host);
    return local === undefined || (family !== 0 && family !== isIP(local)) ? undefined : local;
  }

  /**
   * Closes the pools not used for `idlePoolTimeout`, and at least twice `timeout`, so that none has a call
   * in flight (`close()` would let one finish anyway). A later call to that peer opens a new pool.
   */
  #closeIdlePools(now: number): void {
    this.#lastSweep = now;
    const idle = Math.max(this.#options.idlePoolTimeout, 2 * this.#options.timeout);
    for (const [url, peer] of this.#peers) {
      if (now - peer.lastUsed <= idle) continue;
      this.#peers.delete(url);
      this.#poolsClosedIdle++;
      peer.stream?.close();
      peer.pool.close().catch(() => undefined);
    }
  }
}

function settled<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value) => ({ status: "fulfilled", value }),
    (reason: unknown) => ({ status: "rejected", reason }),
  );
}

/** The trace context fields as request headers (the first value of a repeated field); undefined when none. */
function traceHeaders(carrier: TraceCarrier | undefined): Record<string, string> | undefined {
  if (carrier === undefined) return undefined;
  let headers: Record<string, string> | undefined;
  for (const name in carrier) {
    const value = carrier[name];
    const first = typeof value === "string" ? value : value?.[0];
    if (first !== undefined) (headers ??= {})[name] = first;
  }
  return headers;
}
