import type { IncomingMessage, ServerResponse } from "node:http";
import type { Startable } from "./startable.js";

export interface PeerValue {
  readonly value: Uint8Array;
  /** Unix ms after which the value must not be served; absent = never (golang/groupcache has no expiry). */
  readonly expire?: number | undefined;
  /** Go's GetResponse.minute_qps, where the peer sent it. */
  readonly minuteQps?: number | undefined;
}

export interface PeerCallOptions {
  /**
   * Aborts the call. The engine's options create it only when a transport reads it (an AbortSignal costs a few
   * µs and outlives young-generation GCs): a transport that can, watches `abortWatch` instead.
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * The same abort as `signal`, watched without an AbortSignal; set by the engine on peer fetches. A transport
   * that uses it reads `signal` only on a path that needs a real AbortSignal (e.g. an HTTP client's).
   */
  readonly abortWatch?: AbortWatch | undefined;
  /**
   * The trace context of the call, as the app's OpenTelemetry propagator writes it (W3C `traceparent` and
   * `tracestate` by default). Client side: the engine sets it, the transport sends it along (as HTTP headers).
   * Server side: the transport gives the request's headers, the engine reads the caller's context from them.
   */
  readonly traceContext?: TraceCarrier | undefined;
}

/** An abort that a call can watch without an AbortSignal (core's flights implement it). */
export interface AbortWatch {
  /** Whether the abort happened. */
  readonly aborted: boolean;
  /** Why, once aborted. */
  readonly reason: unknown;
  /** Calls `listener` once, when the abort happens (not if it already happened: check `aborted` first). */
  watch(listener: () => void): void;
  /** Forgets a listener given to `watch`. */
  unwatch(listener: () => void): void;
}

/** Trace context fields by lower-case name (HTTP headers); a field may repeat as node:http gives it. */
export type TraceCarrier = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One key's answer in a batch: its value, or why the peer could not give it. */
export type PeerBatchResult = PromiseSettledResult<PeerValue>;

/** Client side: talks to one peer's cache server. Every failure rejects with a `PeerError`. */
export interface TransportClient {
  /** GET /_groupcache/{group}/{key} on the peer with base URL `peerUrl`. */
  fetch(peerUrl: string, group: string, key: string, options?: PeerCallOptions): Promise<PeerValue>;
  /**
   * Optional extension: the values of `keys` from one peer in as few requests as it can (a batch route where the
   * peer has one, single-key fetches where it has not, as a golang/groupcache peer). One result per key, in
   * order; a key's failure is its own (`status: "rejected"`, a `PeerError`). Rejects as a whole, with a
   * `PeerError`, only when the peer could not be asked at all (unreachable, timeout, aborted). Without it, the
   * engine calls `fetch` once per key.
   */
  fetchMany?(peerUrl: string, group: string, keys: readonly string[], options?: PeerCallOptions): Promise<PeerBatchResult[]>;
  /** Extension: delete at the peer (owner deletes from main, every peer from hot). */
  remove(peerUrl: string, group: string, key: string, options?: PeerCallOptions): Promise<void>;
  /** Extension: store a value at the owner. */
  set(peerUrl: string, group: string, key: string, value: PeerValue, options?: PeerCallOptions): Promise<void>;
}

/**
 * Server side, given by the engine to the transport: answers requests *from peers*. It serves from this node's
 * caches or its loader and never forwards again (no loops while two peers briefly disagree on the ring).
 */
export interface PeerRequestHandler {
  get(group: string, key: string, options?: PeerCallOptions): Promise<PeerValue>;
  /**
   * Optional: the value of `key` when this node's caches hold it, synchronously, counted as a served get;
   * undefined otherwise (a miss, an unknown group, or tracing on), and then the transport calls `get`. Lets a
   * transport answer a hit without a promise or an AbortSignal.
   */
  getCached?(group: string, key: string): PeerValue | undefined;
  remove(group: string, key: string): Promise<void>;
  set(group: string, key: string, value: PeerValue): Promise<void>;
  /**
   * True when `address`, the source IP of a request (a socket's `remoteAddress`, IPv4-mapped IPv6 included), is
   * an address of a current member: the host of a ring member's cache URL or gossip address (this node's
   * included; host names as resolved). Transports use it to serve peers only; it must be cheap (a set lookup).
   */
  isMemberAddress(address: string): boolean;
}

/** An extra route on the cache server (status page, metrics), matched by path prefix. */
export interface HttpRoute {
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface ListenOptions {
  readonly host?: string;
  readonly port: number;
  readonly routes?: readonly HttpRoute[];
}

export interface Transport extends Startable {
  readonly client: TransportClient;
  /** Serve peers on host:port; resolves with the bound base URL (port 0 picks one). */
  listen(handler: PeerRequestHandler, options: ListenOptions): Promise<{ url: string; port: number }>;
}
