import { type Socket, connect as connectTcp, isIP } from "node:net";
import { connect as connectTls } from "node:tls";
import { type AbortWatch, type PeerBatchResult, PeerError, type PeerValue } from "@cachecluster/core";
import { escapeSegment } from "../wire/escape.js";
import {
  FrameReader,
  REPLY_HTTP_STATUS,
  REPLY_OK,
  STREAM_PATH,
  STREAM_PROTOCOL,
  decodeReply,
  encodeCancel,
  encodeGetRequest,
  encodeGetRequests,
  writeFrame,
} from "../wire/stream-frames.js";
import type { Deadlines, Expiring } from "./deadlines.js";
import { DeadlineError } from "./exchange.js";
import { requestError, statusError } from "./peer-errors.js";

export interface PeerStreamOptions {
  /** The peer's base URL, as the ring has it (`http://10.0.0.7:9080`). */
  readonly peerUrl: string;
  readonly url: URL;
  /** Path prefix of the peer protocol at the peer, e.g. `/_groupcache/`. */
  readonly prefix: string;
  readonly connectTimeout: number;
  /** Largest value accepted in a reply. */
  readonly maxResponseBytes: number;
  /** ms the stream stays open with no call in flight. */
  readonly idleTimeout: number;
  readonly localAddress: string | undefined;
  /** For `https:` peers: the CA to trust and the client's certificate. */
  readonly tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined;
  readonly deadlines: Deadlines;
  /**
   * The stream has ended: the client forgets it. `how`: "refused" if the peer answered the upgrade otherwise
   * (a Go peer), "failed" if it never opened (unreachable, no answer in time), "closed" after it was open.
   */
  readonly onEnd: (stream: PeerStream, how: "refused" | "failed" | "closed") => void;
}

/** Largest upgrade answer read (status line and headers). */
const HANDSHAKE_LIMIT = 16 * 1024;

type State = "opening" | "open" | "ended";

/**
 * One connection to a peer carrying gets as frames (see `wire/stream-frames.ts`), many in flight at once and
 * answered in any order. It opens with an HTTP upgrade; until the peer accepts it (`state` "open"), the client
 * keeps sending its gets over HTTP, so opening costs no get any time, and a refusal (a Go peer) none either.
 * Every failure of a get is a `PeerError` like the HTTP path's; the deadline is the client's shared one
 * (`deadlines`), from the moment the get was asked.
 */
export class PeerStream {
  readonly #o: PeerStreamOptions;
  readonly #socket: Socket;
  /** The gets in flight by id; a batch's gets all point to their BatchCall. */
  readonly #calls = new Map<number, InFlight>();
  #state: State = "opening";
  #nextId = 0;
  #handshake: Buffer | undefined;
  readonly #reader: FrameReader;
  #closing = false;
  #openTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: PeerStreamOptions) {
    this.#o = options;
    this.#reader = new FrameReader(options.maxResponseBytes + 13, (frame) => this.#reply(frame));
    const { url } = options;
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const local = options.localAddress === undefined ? {} : { localAddress: options.localAddress };
    this.#socket =
      url.protocol === "https:"
        ? connectTls({ host, port, ...local, ...options.tls, ...(isIP(host) === 0 ? { servername: host } : {}) })
        : connectTcp({ host, port, ...local });
    const socket = this.#socket;
    socket.setNoDelay(true);
    // Connecting and the upgrade's answer together get connectTimeout.
    this.#openTimer = setTimeout(() => this.#end("failed"), options.connectTimeout);
    this.#openTimer.unref();
    socket.on("data", (chunk: Buffer) => this.#data(chunk));
    socket.on("error", (error) => this.#fail(error));
    socket.once("close", () => this.#fail(new Error("the peer closed the stream")));
    socket.setTimeout(options.idleTimeout, () => {
      if (this.#calls.size === 0) this.#end(this.#state === "open" ? "closed" : "failed");
    });
    socket.write(
      `GET ${options.prefix}${STREAM_PATH} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: ${STREAM_PROTOCOL}\r\nContent-Length: 0\r\n\r\n`,
    );
  }

  get state(): State {
    return this.#state;
  }

  /** Gets in flight. */
  get pending(): number {
    return this.#calls.size;
  }

  /** Sends a get; only once `state` is "open". */
  get(group: string, key: string, signal: Abort | undefined, trace: string | undefined, startedAt: number): Promise<PeerValue> {
    if (signal?.aborted === true) return Promise.reject(requestError(this.#o.peerUrl, "GET", this.#path(group, key), signal.reason, signal));
    return new Promise<PeerValue>((resolve, reject) => {
      const call = new Call(this, this.#o.deadlines, group, key, trace, signal, resolve, reject);
      this.#o.deadlines.add(call, startedAt);
      this.#send(call);
    });
  }

  /**
   * Sends the gets of `keys` (one frame each, all in one write) and settles them together: their results in the
   * order of `keys`, one deadline and one abort watch for all, as `Promise.allSettled` of `get`s would give them
   * at the cost of one. Only once `state` is "open".
   */
  getMany(group: string, keys: readonly string[], signal: Abort | undefined, trace: string | undefined, startedAt: number): Promise<PeerBatchResult[]> {
    if (signal?.aborted === true)
      return Promise.resolve(
        keys.map((key) => ({ status: "rejected", reason: requestError(this.#o.peerUrl, "GET", this.#path(group, key), signal.reason, signal) })),
      );
    if (keys.length === 0) return Promise.resolve([]);
    return new Promise<PeerBatchResult[]>((resolve) => {
      const batch = new BatchCall(this, this.#o.deadlines, group, keys, signal, resolve);
      this.#o.deadlines.add(batch, startedAt);
      if (this.#nextId > 0xffffffff - keys.length) this.#nextId = 0;
      const firstId = (batch.firstId = this.#nextId + 1);
      this.#nextId += keys.length;
      for (let id = firstId; id <= this.#nextId; id++) this.#calls.set(id, batch);
      writeFrame(this.#socket, encodeGetRequests(firstId, group, keys, trace));
    });
  }

  /** Ends the stream once the gets in flight are answered (or failed by their deadline). */
  close(): void {
    this.#closing = true;
    if (this.pending === 0) this.#end(this.#state === "open" ? "closed" : "failed");
  }

  #path(group: string, key: string): string {
    return `${this.#o.prefix}${escapeSegment(group)}/${escapeSegment(key)}`;
  }

  #send(call: Call): void {
    if (this.#nextId === 0xffffffff) this.#nextId = 0;
    const id = ++this.#nextId;
    call.id = id;
    this.#calls.set(id, call);
    // The gets asked in the same turn of the event loop leave in one write.
    writeFrame(this.#socket, encodeGetRequest(id, call.group, call.key, call.trace));
  }

  #data(chunk: Buffer): void {
    if (this.#state === "opening") {
      chunk = this.#handshakeData(chunk);
      if ((this.#state as State) !== "open" || chunk.length === 0) return;
    }
    try {
      this.#reader.push(chunk);
    } catch (error) {
      this.#fail(new PeerError(this.#o.peerUrl, `stream: ${(error as Error).message}`, { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" }));
    }
  }

  /** Reads the upgrade's answer; returns the bytes after it (frames already). */
  #handshakeData(chunk: Buffer): Buffer {
    const buffered = this.#handshake === undefined ? chunk : Buffer.concat([this.#handshake, chunk]);
    const end = buffered.indexOf("\r\n\r\n");
    if (end < 0) {
      if (buffered.length > HANDSHAKE_LIMIT) this.#end("refused");
      else this.#handshake = buffered;
      return EMPTY;
    }
    this.#handshake = undefined;
    const head = buffered.toString("latin1", 0, end);
    const [statusLine = "", ...headers] = head.split("\r\n");
    const upgrade = headers.find((h) => h.toLowerCase().startsWith("upgrade:"));
    if (!/^HTTP\/1\.1 101 /.test(statusLine + " ") || upgrade?.slice(8).trim().toLowerCase() !== STREAM_PROTOCOL) {
      // Another answer (golang/groupcache: 400 bad request): this peer's gets stay on HTTP.
      this.#end("refused");
      return EMPTY;
    }
    clearTimeout(this.#openTimer);
    this.#state = "open";
    if (this.#closing) this.#end("closed");
    return buffered.subarray(end + 4);
  }

  #reply(frame: Buffer): void {
    let reply: ReturnType<typeof decodeReply>;
    try {
      reply = decodeReply(frame);
    } catch (error) {
      this.#fail(new PeerError(this.#o.peerUrl, `stream: undecodable reply: ${(error as Error).message}`, { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" }));
      return;
    }
    const call = this.#calls.get(reply.id);
    if (call === undefined) return; // its deadline passed, or it was aborted
    this.#calls.delete(reply.id);
    if (reply.status === REPLY_OK) {
      const { value, expire } = reply as { value: Uint8Array; expire: number | undefined };
      call.answer(reply.id, expire === undefined ? { value } : { value, expire });
    } else {
      const text = (reply as { text: string }).text;
      const path = this.#path(call.group, call.keyOf(reply.id));
      call.answer(reply.id, statusError(this.#o.peerUrl, "GET", path, REPLY_HTTP_STATUS[reply.status] ?? 500, Buffer.from(text)));
    }
    if (this.#closing && this.pending === 0) this.#end("closed");
  }

  /** A call left (deadline or abort) before its answer: the server is told, so that it stops serving it. */
  forget(id: number): void {
    this.#calls.delete(id);
    // A batch's cancels leave in one write.
    if (this.#state === "open") writeFrame(this.#socket, encodeCancel(id));
  }

  errorFor(group: string, key: string, error: unknown, signal: Abort | undefined): PeerError {
    return error instanceof PeerError ? error : requestError(this.#o.peerUrl, "GET", this.#path(group, key), error, signal);
  }

  /** The connection failed or closed: every get in flight fails with `error`. */
  #fail(error: unknown): void {
    if (this.#state === "ended") return;
    if (this.#state === "opening") {
      this.#end("failed");
      return;
    }
    // A batch is in the map once per get: each call once.
    const calls = new Set(this.#calls.values());
    this.#calls.clear();
    this.#end("closed");
    for (const call of calls) call.failRest(error);
  }

  #end(how: "refused" | "failed" | "closed"): void {
    if (this.#state === "ended") return;
    this.#state = "ended";
    clearTimeout(this.#openTimer);
    this.#socket.destroy();
    this.#o.onEnd(this, how);
  }
}

const EMPTY = Buffer.alloc(0);

/** What aborts a get: the caller's AbortSignal, or the engine's `abortWatch` (no AbortSignal made per get). */
type Abort = AbortSignal | AbortWatch;

/** What the stream tracks of each call: its deadline entry and its abort listener, dropped once it is settled. */
abstract class InFlight implements Expiring {
  deadline = 0;
  earlier: Expiring | undefined = undefined;
  later: Expiring | undefined = undefined;
  settled = false;
  protected readonly stream: PeerStream;
  readonly #deadlines: Deadlines;
  readonly #onAbort: (() => void) | undefined;

  constructor(
    stream: PeerStream,
    deadlines: Deadlines,
    readonly group: string,
    readonly signal: Abort | undefined,
  ) {
    this.stream = stream;
    this.#deadlines = deadlines;
    if (signal === undefined) return;
    const onAbort = (this.#onAbort = () => this.leave(signal.reason));
    if (signal instanceof EventTarget) signal.addEventListener("abort", onAbort);
    else signal.watch(onAbort);
  }

  expire(): void {
    this.leave(new DeadlineError(this.#deadlines.timeout));
  }

  /** The key of get `id`. */
  abstract keyOf(id: number): string;

  /** The answer to get `id`: its value, or the PeerError its error reply stands for. */
  abstract answer(id: number, got: PeerValue | PeerError): void;

  /** The stream failed: every get without an answer fails with `error`. */
  abstract failRest(error: unknown): void;

  /** Deadline or abort: what has no answer is cancelled at the server and fails with `reason`. */
  protected abstract leave(reason: unknown): void;

  /** Marks the call settled and drops its deadline and abort listener; false if it was already. */
  protected settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.#deadlines.remove(this);
    const { signal } = this;
    if (this.#onAbort !== undefined && signal !== undefined) {
      if (signal instanceof EventTarget) signal.removeEventListener("abort", this.#onAbort);
      else signal.unwatch(this.#onAbort);
    }
    return true;
  }
}

/** One get on the stream. */
class Call extends InFlight {
  id = 0;
  readonly #resolve: (value: PeerValue) => void;
  readonly #reject: (error: Error) => void;

  constructor(
    stream: PeerStream,
    deadlines: Deadlines,
    group: string,
    readonly key: string,
    readonly trace: string | undefined,
    signal: Abort | undefined,
    resolve: (value: PeerValue) => void,
    reject: (error: Error) => void,
  ) {
    super(stream, deadlines, group, signal);
    this.#resolve = resolve;
    this.#reject = reject;
  }

  keyOf(): string {
    return this.key;
  }

  answer(_id: number, got: PeerValue | PeerError): void {
    if (!this.settle()) return;
    if (got instanceof PeerError) this.#reject(got);
    else this.#resolve(got);
  }

  failRest(error: unknown): void {
    if (this.settle()) this.#reject(this.stream.errorFor(this.group, this.key, error, this.signal));
  }

  protected leave(reason: unknown): void {
    if (this.settled) return;
    this.stream.forget(this.id);
    this.failRest(reason);
  }
}

/**
 * The gets of one `getMany`, ids `firstId` … `firstId + keys.length - 1`: one deadline entry, one abort listener
 * and one promise for all of them, settled once each key has its answer or failed.
 */
class BatchCall extends InFlight {
  firstId = 0;
  readonly #results: PeerBatchResult[];
  #left: number;
  readonly #resolve: (results: PeerBatchResult[]) => void;

  constructor(
    stream: PeerStream,
    deadlines: Deadlines,
    group: string,
    readonly keys: readonly string[],
    signal: Abort | undefined,
    resolve: (results: PeerBatchResult[]) => void,
  ) {
    super(stream, deadlines, group, signal);
    this.#results = new Array<PeerBatchResult>(keys.length);
    this.#left = keys.length;
    this.#resolve = resolve;
  }

  keyOf(id: number): string {
    return this.keys[id - this.firstId] as string;
  }

  answer(id: number, got: PeerValue | PeerError): void {
    const i = id - this.firstId;
    if (this.settled || this.#results[i] !== undefined) return;
    this.#results[i] = got instanceof PeerError ? { status: "rejected", reason: got } : { status: "fulfilled", value: got };
    if (--this.#left === 0) this.#finish();
  }

  failRest(error: unknown): void {
    if (this.settled) return;
    this.#failUnanswered(error, false);
    this.#finish();
  }

  protected leave(reason: unknown): void {
    if (this.settled) return;
    this.#failUnanswered(reason, true);
    this.#finish();
  }

  #failUnanswered(reason: unknown, cancel: boolean): void {
    const results = this.#results;
    for (let i = 0; i < this.keys.length; i++) {
      if (results[i] !== undefined) continue;
      if (cancel) this.stream.forget(this.firstId + i);
      results[i] = { status: "rejected", reason: this.stream.errorFor(this.group, this.keys[i] as string, reason, this.signal) };
    }
  }

  #finish(): void {
    if (this.settle()) this.#resolve(this.#results);
  }
}
