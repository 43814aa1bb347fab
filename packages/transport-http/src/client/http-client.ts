import { STATUS_CODES } from "node:http";
import { DecodeError, type PeerCallOptions, PeerError, type PeerValue, type TransportClient } from "@cachecluster/core";
import { describe } from "../describe-error.js";
import { Pool } from "undici";
import type { HttpTransportOptions } from "../options.js";
import { escapeSegment } from "../wire/escape.js";
import { decodeGetResponse, encodeSetRequest } from "../wire/messages.js";

interface Peer {
  readonly pool: Pool;
  /** Path of the peer's base URL plus the base path, e.g. `/_groupcache/`. */
  readonly prefix: string;
}

type ClientOptions = Pick<HttpTransportOptions, "basePath" | "timeout" | "connectTimeout" | "connections" | "keepAliveTimeout" | "maxResponseBytes">;

const ERROR_TEXT_LIMIT = 1024;

/**
 * The peer client: one undici keep-alive `Pool` per peer origin. `fetch` sends golang/groupcache's GET;
 * `remove` and `set` send DELETE and PUT (mailgun/groupcache's forms). Every failure rejects with a
 * `PeerError` (`CACHECLUSTER_PEER_FETCH_FAILED`: unreachable, timeout, abort, non-200;
 * `CACHECLUSTER_PEER_RESPONSE_INVALID`: undecodable or oversized body, or a peer that does not know the
 * extension).
 */
export class HttpTransportClient implements TransportClient {
  readonly #options: ClientOptions;
  readonly #peers = new Map<string, Peer>();
  #closed = false;

  constructor(options: ClientOptions) {
    this.#options = options;
  }

  async fetch(peerUrl: string, group: string, key: string, options: PeerCallOptions = {}): Promise<PeerValue> {
    const peer = this.#peer(peerUrl);
    const path = `${peer.prefix}${escapeSegment(group)}/${escapeSegment(key)}`;
    let response;
    try {
      response = await peer.pool.request({
        path,
        method: "GET",
        signal: options.signal ?? null,
      });
    } catch (error) {
      throw requestError(peerUrl, "GET", path, error, options.signal);
    }
    const { statusCode, headers, body } = response;
    if (statusCode !== 200) throw await statusError(peerUrl, "GET", path, statusCode, body);
    const max = this.#options.maxResponseBytes;
    const declared = Number(headers["content-length"] ?? "-1");
    if (declared > max) {
      discard(body);
      throw new PeerError(peerUrl, `GET ${path}: response of ${declared} bytes exceeds maxResponseBytes ${max}`, { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" });
    }
    let bytes: Buffer;
    try {
      bytes = await readLimited(body, max);
    } catch (error) {
      if (error instanceof ResponseTooLargeError) {
        throw new PeerError(peerUrl, `GET ${path}: response exceeds maxResponseBytes ${max}`, { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" });
      }
      throw requestError(peerUrl, "GET", path, error, options.signal);
    }
    try {
      const decoded = decodeGetResponse(bytes);
      if (decoded.expire === undefined && decoded.minuteQps === undefined) return { value: decoded.value };
      return decoded;
    } catch (error) {
      throw new PeerError(peerUrl, `GET ${path}: ${error instanceof DecodeError ? error.message : describe(error)}`, {
        cause: error,
        code: "CACHECLUSTER_PEER_RESPONSE_INVALID",
      });
    }
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
    const pools = [...this.#peers.values()].map((p) => p.pool);
    this.#peers.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => undefined)));
  }

  async #mutate(peerUrl: string, method: "DELETE" | "PUT", group: string, key: string, body: Uint8Array | undefined, options: PeerCallOptions): Promise<void> {
    const peer = this.#peer(peerUrl);
    const path = `${peer.prefix}${escapeSegment(group)}/${escapeSegment(key)}`;
    let response;
    try {
      response = await peer.pool.request({
        path,
        method,
        signal: options.signal ?? null,
        ...(body === undefined ? {} : { body, headers: { "content-type": "application/x-protobuf" } }),
      });
    } catch (error) {
      throw requestError(peerUrl, method, path, error, options.signal);
    }
    const { statusCode, headers } = response;
    if (statusCode !== 200) throw await statusError(peerUrl, method, path, statusCode, response.body);
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    // golang/groupcache answers every method as a GET: a protobuf body means the extension is unknown there.
    if (String(headers["content-type"] ?? "").startsWith("application/x-protobuf")) {
      const what = method === "DELETE" ? "remove" : "set";
      throw new PeerError(peerUrl, `${method} ${path}: the peer does not support ${what} (it answered ${method} as a GET, as golang/groupcache does)`, {
        code: "CACHECLUSTER_PEER_RESPONSE_INVALID",
        status: statusCode,
      });
    }
  }

  #peer(peerUrl: string): Peer {
    if (this.#closed) throw new PeerError(peerUrl, "the transport client is stopped", { code: "CACHECLUSTER_PEER_FETCH_FAILED" });
    let peer = this.#peers.get(peerUrl);
    if (peer !== undefined) return peer;
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
    const pool = new Pool(url.origin, {
      connections: o.connections,
      pipelining: 1,
      keepAliveTimeout: o.keepAliveTimeout,
      headersTimeout: o.timeout,
      bodyTimeout: o.timeout,
      connect: { timeout: o.connectTimeout },
    });
    peer = { pool, prefix: url.pathname.replace(/\/+$/, "") + o.basePath };
    this.#peers.set(peerUrl, peer);
    return peer;
  }
}

class ResponseTooLargeError extends Error {}

/** Drops a response body (and its connection); undici then emits an abort error nobody needs. */
function discard(body: Body): void {
  body.on("error", () => undefined);
  body.destroy();
}

interface Body {
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  destroy(error?: Error): unknown;
}

function readLimited(body: Body, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    body.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        body.destroy();
        reject(new ResponseTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    body.on("end", () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    body.on("error", (error: Error) => {
      if (done) return;
      done = true;
      reject(error);
    });
  });
}

/** The first `limit` bytes of a body; the rest is dropped with the connection. */
function readPrefix(body: Body, limit: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks).subarray(0, limit));
    };
    body.on("data", (chunk: Buffer) => {
      if (done) return;
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) {
        body.destroy();
        finish();
      }
    });
    body.on("end", finish);
    body.on("error", finish);
  });
}

async function statusError(peerUrl: string, method: string, path: string, status: number, body: Body): Promise<PeerError> {
  const text = (await readPrefix(body, ERROR_TEXT_LIMIT)).toString("utf8").trim();
  const reason = STATUS_CODES[status] ?? "";
  return new PeerError(peerUrl, `${method} ${path}: server returned ${status} ${reason}${text === "" ? "" : `: ${text}`}`, {
    status,
    code: "CACHECLUSTER_PEER_FETCH_FAILED",
  });
}

function requestError(peerUrl: string, method: string, path: string, error: unknown, signal: AbortSignal | undefined): PeerError {
  if (signal?.aborted === true) {
    return new PeerError(peerUrl, `${method} ${path}: aborted`, { cause: signal.reason ?? error });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "UND_ERR_RES_EXCEEDED_MAX_SIZE") {
    return new PeerError(peerUrl, `${method} ${path}: response exceeds maxResponseBytes`, { cause: error, code: "CACHECLUSTER_PEER_RESPONSE_INVALID" });
  }
  const detail = typeof code === "string" ? `${code}: ${describe(error)}` : describe(error);
  return new PeerError(peerUrl, `${method} ${path}: ${detail}`, { cause: error });
}
