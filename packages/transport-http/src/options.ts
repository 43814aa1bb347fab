import { isIP } from "node:net";
import { parseOptions } from "@cachecluster/core";
import { z } from "zod";

const ms = (what: string) =>
  z
    .number({ error: `expected ${what} to be a number of milliseconds` })
    .int({ error: `expected ${what} to be a whole number of milliseconds` })
    .min(1, { error: `expected ${what} to be at least 1 ms` });

const bytes = (what: string) =>
  z
    .number({ error: `expected ${what} to be a number of bytes` })
    .int({ error: `expected ${what} to be a whole number of bytes` })
    .min(1, { error: `expected ${what} to be at least 1 byte` });

/** Base64 of a 16 to 64 byte secret (`openssl rand -base64 32`). */
export const secretKey = z.string({ error: "expected a base64 secret key" }).refine(
  (text) => {
    const n = Buffer.from(text, "base64").byteLength;
    return /^[A-Za-z0-9+/]+={0,2}$/.test(text) && n >= 16 && n <= 64;
  },
  { error: "expected base64 of a 16 to 64 byte key (openssl rand -base64 32)" },
);

const pemFile = (what: string) => z.string({ error: `expected ${what} to be the path of a PEM file` }).min(1, { error: `expected ${what} to be a path` });

/**
 * TLS for the peer plane: the server answers HTTPS with `cert` and `key`; the client trusts `ca` (else the
 * system's CAs) for `https:` peers and presents `cert` and `key` as its own certificate. With `clientAuth`, the
 * server also demands a client certificate signed by `ca` (mutual TLS).
 */
export const tlsOptions = z
  .object({
    cert: pemFile("tls.cert"),
    key: pemFile("tls.key"),
    ca: pemFile("tls.ca").optional(),
    clientAuth: z.boolean({ error: "expected tls.clientAuth to be true or false" }).default(false),
  })
  .strict()
  .refine((t) => !t.clientAuth || t.ca !== undefined, { error: "tls.clientAuth needs tls.ca, the CA that signs the members' certificates", path: ["ca"] });

/** Options of `HttpTransport` / `httpTransport()` / `createPeerHandler()`; every field has a default. */
export const httpTransportOptions = z
  .object({
    /** Path prefix of the peer protocol; golang/groupcache's default. Must start and end with `/`. */
    basePath: z
      .string({ error: "expected basePath to be a string" })
      .regex(/^\/(?:[^?#]*\/)?$/, { error: 'expected basePath to start and end with "/", such as "/_groupcache/"' })
      .default("/_groupcache/"),
    /**
     * Client: ms a whole peer call may take, from the request to the last byte of the answer, however the
     * peer paces it (also undici's `headersTimeout` / `bodyTimeout`). Default: `[cache] timeout` through
     * `httpTransport()`, else 2000.
     */
    timeout: ms("timeout").default(2000),
    /** Client: ms to establish a TCP connection to a peer. */
    connectTimeout: ms("connectTimeout").default(1000),
    /**
     * Client: source IP of connections to peers. Default: the address the server listens on, when that is one
     * IP rather than a wildcard, so that members see this node's requests come from the address they know it by.
     */
    localAddress: z
      .string()
      .refine((a) => isIP(a) !== 0, { error: "expected localAddress to be an IP address" })
      .optional(),
    /**
     * The peer stream, between cachecluster peers: the client asks each peer once to upgrade a connection to a
     * lean binary protocol and sends its gets there, many in flight at once; a peer that refuses (golang/groupcache,
     * or a node with `stream: false`) is fetched over HTTP and asked again a minute later. The server accepts the
     * upgrade with the same checks as HTTP gets (`reads`, TLS). Sets and removes always go over HTTP.
     */
    stream: z.boolean({ error: "expected stream to be true or false" }).default(true),
    /** Client: keep-alive connections per peer (undici Pool `connections`). */
    connections: z.number().int().min(1, { error: "expected connections to be at least 1" }).default(64),
    /**
     * Client: requests in flight per connection (undici `pipelining`). 1 = no HTTP pipelining; more lets
     * `connections` sockets carry more concurrent fetches (undici never pipelines PUT/DELETE behind others).
     */
    pipelining: z
      .number()
      .int()
      .min(1, { error: "expected pipelining to be at least 1" })
      .max(100, { error: "expected pipelining to be at most 100" })
      .default(1),
    /** Client: ms an idle keep-alive connection is kept (lowered to the server's `Keep-Alive` hint). */
    keepAliveTimeout: ms("keepAliveTimeout").default(30_000),
    /**
     * Client: ms after which the connection pool of a peer that got no call is closed and forgotten, so the
     * pools of departed peers do not pile up; a later call opens a new one. At least twice `timeout` is used.
     */
    idlePoolTimeout: ms("idlePoolTimeout").default(300_000),
    /** Client: largest response body accepted from a peer; larger answers fail with a PeerError. */
    maxResponseBytes: bytes("maxResponseBytes").default(64 * 1024 * 1024),
    /**
     * Server: largest `set` body a peer may send (refused with 413 on its `Content-Length` before a byte is read;
     * a streamed body is cut off there). Small by default, as memcached's item limit: raise it to set larger values.
     */
    maxSetBytes: bytes("maxSetBytes").default(1024 * 1024),
    /**
     * Batch route (`getMany`, between cachecluster nodes): keys per batch. The server refuses more with 413; the
     * client splits a larger batch into requests of at most this many keys.
     */
    maxBatchKeys: z
      .number({ error: "expected maxBatchKeys to be a number" })
      .int({ error: "expected maxBatchKeys to be a whole number" })
      .min(1, { error: "expected maxBatchKeys to be at least 1" })
      .max(100_000, { error: "expected maxBatchKeys to be at most 100000" })
      .default(1000),
    /** Batch route: largest request body (the keys). The server refuses more with 413; the client splits batches to stay within it. */
    maxBatchRequestBytes: bytes("maxBatchRequestBytes").default(1024 * 1024),
    /**
     * Batch route, server: bytes of values in one batch response. Values past it are left out of the answer (the
     * key says so), and the client fetches each of those alone: a batch never makes a response larger than this.
     */
    maxBatchResponseBytes: bytes("maxBatchResponseBytes").default(16 * 1024 * 1024),
    /**
     * Server: `set` bodies read at once; 8 times as many more wait unread, and beyond that a set gets 503. With
     * `maxSetBytes`, bounds the memory that uploads can take (see SECURITY.md).
     */
    maxConcurrentSets: z
      .number({ error: "expected maxConcurrentSets to be a number" })
      .int({ error: "expected maxConcurrentSets to be a whole number" })
      .min(1, { error: "expected maxConcurrentSets to be at least 1" })
      .max(1024, { error: "expected maxConcurrentSets to be at most 1024" })
      .default(8),
    /**
     * Shared secrets (base64, 16 to 64 bytes; `openssl rand -base64 32`) that sign peer writes: the client signs
     * every PUT and DELETE with the first, the server accepts a signature by any of them and refuses unsigned,
     * stale, replayed or wrongly signed writes with 401. Add a new key second on every node, then move it first,
     * then drop the old one (rotation). Empty: writes are accepted only from the addresses of current members
     * (`PeerRequestHandler.isMemberAddress`), and `listen` logs a warning that the peer plane is unauthenticated.
     */
    secretKeys: z.array(secretKey).default([]),
    /**
     * Server: who is served peer GETs. `"members"`: only requests from the address of a current member
     * (`PeerRequestHandler.isMemberAddress`; Go members included), others get 403 and run no loader, so an
     * outsider cannot drive loads with keys of its choosing. `"any"`: every address (golang/groupcache's way).
     */
    reads: z.enum(["members", "any"], { error: 'expected reads to be "members" or "any"' }).default("members"),
    /** HTTPS for the peer plane (server and client), with mutual TLS as an option; none by default (plain HTTP, as Go peers speak). */
    tls: tlsOptions.optional(),
    /** Server: ms a signed write stays valid either side of its timestamp (clock skew plus transit). */
    signatureWindow: ms("signatureWindow").default(10_000),
    /** Server: largest request line + headers, so it bounds the key length; larger requests get 431. */
    maxHeaderSize: bytes("maxHeaderSize").default(64 * 1024),
    /** Server: ms to receive a request's headers (node:http `headersTimeout`; slowloris). */
    headersTimeout: ms("headersTimeout").default(10_000),
    /** Server: ms to receive a whole request (node:http `requestTimeout`). */
    requestTimeout: ms("requestTimeout").default(30_000),
    /** Server: ms an idle keep-alive connection from a peer is kept (node:http `keepAliveTimeout`). */
    serverKeepAliveTimeout: ms("serverKeepAliveTimeout").default(65_000),
    /** Server: on `stop()`, ms to let in-flight requests finish before their connections are cut. */
    closeTimeout: ms("closeTimeout").default(5000),
  })
  .strict();

export type HttpTransportOptions = z.output<typeof httpTransportOptions>;
export type HttpTransportOptionsInput = z.input<typeof httpTransportOptions>;
export type TlsOptions = z.output<typeof tlsOptions>;

/** Parses options eagerly; a `ConfigError` lists every problem as `httpTransport options.<field>: <message>, got <value>`. */
export function parseHttpTransportOptions(options: HttpTransportOptionsInput | undefined): HttpTransportOptions {
  return parseOptions(httpTransportOptions, options, "httpTransport options");
}
