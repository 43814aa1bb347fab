import type { Writable } from "node:stream";

/**
 * The peer stream: cachecluster's lean protocol between Node peers. A client opens it with an HTTP/1.1 upgrade
 * on the peer port (`GET {basePath}_stream`, `Upgrade: cachecluster-peer/1`); a peer that does not know it
 * (golang/groupcache answers that path 400) keeps being asked over HTTP. After `101 Switching Protocols` both
 * sides send length-prefixed frames, every number big-endian:
 *
 *   get      u32 length | u8 kind = 1 | u32 id | u16 group bytes | u32 key bytes | u16 trace bytes | group | key | trace
 *   cancel   u32 length | u8 kind = 2 | u32 id       (the caller gave up: the get's signal is aborted at the server)
 *   reply    u32 length | u8 status | u32 id | status 0: f64 expire (Unix ms, NaN = none) | value; else: UTF-8 error text
 *
 * `length` counts the bytes after itself. `trace` is the caller's trace context as `name: value` lines (W3C
 * `traceparent`, `tracestate`). Replies may come in any order: `id` pairs them with their request.
 */
export const STREAM_PROTOCOL = "cachecluster-peer/1";

/** Path after the base path that the upgrade asks for. */
export const STREAM_PATH = "_stream";

export const KIND_GET = 1;
export const KIND_CANCEL = 2;

/** Reply statuses, and the HTTP status each stands for in errors. */
export const REPLY_OK = 0;
export const REPLY_NO_SUCH_GROUP = 1;
export const REPLY_ERROR = 2;
export const REPLY_FORBIDDEN = 3;
export const REPLY_BAD_REQUEST = 4;

export const REPLY_HTTP_STATUS: Readonly<Record<number, number>> = {
  [REPLY_NO_SUCH_GROUP]: 404,
  [REPLY_ERROR]: 500,
  [REPLY_FORBIDDEN]: 403,
  [REPLY_BAD_REQUEST]: 400,
};

const REQUEST_HEAD = 4 + 1 + 4 + 2 + 4 + 2;
const REPLY_HEAD = 4 + 1 + 4;
const OK_HEAD = REPLY_HEAD + 8;

export function encodeGetRequest(id: number, group: string, key: string, trace: string | undefined): Buffer {
  const frame = Buffer.allocUnsafe(REQUEST_HEAD + Buffer.byteLength(group) + Buffer.byteLength(key) + (trace === undefined ? 0 : Buffer.byteLength(trace)));
  writeGetRequest(frame, 0, id, group, key, trace);
  return frame;
}

/** The get frames of `keys` in one buffer, with the ids `firstId`, `firstId + 1`, … (one write for a batch). */
export function encodeGetRequests(firstId: number, group: string, keys: readonly string[], trace: string | undefined): Buffer {
  const fixed = REQUEST_HEAD + Buffer.byteLength(group) + (trace === undefined ? 0 : Buffer.byteLength(trace));
  let size = fixed * keys.length;
  for (const key of keys) size += Buffer.byteLength(key);
  const frames = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < keys.length; i++) at = writeGetRequest(frames, at, firstId + i, group, keys[i] as string, trace);
  return frames;
}

/** Writes one get frame at `start` of `frame` (sized for it); returns where it ends. */
function writeGetRequest(frame: Buffer, start: number, id: number, group: string, key: string, trace: string | undefined): number {
  let at = start + REQUEST_HEAD;
  const groupBytes = frame.write(group, at, "utf8");
  at += groupBytes;
  const keyBytes = frame.write(key, at, "utf8");
  at += keyBytes;
  const traceBytes = trace === undefined ? 0 : frame.write(trace, at, "utf8");
  at += traceBytes;
  frame.writeUInt32BE(at - start - 4, start);
  frame[start + 4] = KIND_GET;
  frame.writeUInt32BE(id, start + 5);
  frame.writeUInt16BE(groupBytes, start + 9);
  frame.writeUInt32BE(keyBytes, start + 11);
  frame.writeUInt16BE(traceBytes, start + 15);
  return at;
}

export function encodeCancel(id: number): Buffer {
  const frame = Buffer.allocUnsafe(9);
  frame.writeUInt32BE(5, 0);
  frame[4] = KIND_CANCEL;
  frame.writeUInt32BE(id, 5);
  return frame;
}

export interface CancelRequest {
  readonly kind: typeof KIND_CANCEL;
  readonly id: number;
}

export interface GetRequest {
  readonly kind: typeof KIND_GET;
  readonly id: number;
  readonly group: string;
  readonly key: string;
  readonly trace: string | undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes a request frame (without its length prefix); throws a message naming what is wrong. */
export function decodeRequest(frame: Buffer): GetRequest | CancelRequest {
  const kind = frame[0];
  if (kind === KIND_CANCEL && frame.length === 5) return { kind, id: frame.readUInt32BE(1) };
  if (kind !== KIND_GET) throw new Error(`unknown request kind ${String(kind)} in a frame of ${frame.length} bytes`);
  if (frame.length < REQUEST_HEAD - 4) throw new Error(`request frame of ${frame.length} bytes is shorter than its ${REQUEST_HEAD - 4}-byte header`);
  const id = frame.readUInt32BE(1);
  const groupBytes = frame.readUInt16BE(5);
  const keyBytes = frame.readUInt32BE(7);
  const traceBytes = frame.readUInt16BE(11);
  const start = REQUEST_HEAD - 4;
  if (start + groupBytes + keyBytes + traceBytes !== frame.length)
    throw new Error(`request frame of ${frame.length} bytes does not hold its ${groupBytes}-byte group, ${keyBytes}-byte key and ${traceBytes}-byte trace`);
  const group = utf8.decode(frame.subarray(start, start + groupBytes));
  const key = utf8.decode(frame.subarray(start + groupBytes, start + groupBytes + keyBytes));
  const trace = traceBytes === 0 ? undefined : utf8.decode(frame.subarray(start + groupBytes + keyBytes));
  return { kind, id, group, key, trace };
}

/** Trace context fields as the request's `trace` lines; undefined when there are none. */
export function encodeTrace(fields: Readonly<Record<string, string | readonly string[] | undefined>> | undefined): string | undefined {
  if (fields === undefined) return undefined;
  let out: string | undefined;
  for (const name in fields) {
    const value = fields[name];
    const first = typeof value === "string" ? value : value?.[0];
    if (first === undefined || name.includes(":") || name.includes("\n") || first.includes("\n")) continue;
    out = out === undefined ? `${name}: ${first}` : `${out}\n${name}: ${first}`;
  }
  return out;
}

/** The request's `trace` lines as a carrier for the engine (lower-case names). */
export function decodeTrace(trace: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of trace.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields;
}

export function encodeOkReply(id: number, value: Uint8Array, expire: number | undefined): Buffer {
  const frame = Buffer.allocUnsafe(OK_HEAD + value.length);
  frame.writeUInt32BE(frame.length - 4, 0);
  frame[4] = REPLY_OK;
  frame.writeUInt32BE(id, 5);
  frame.writeDoubleBE(expire ?? Number.NaN, 9);
  frame.set(value, OK_HEAD);
  return frame;
}

export function encodeErrorReply(id: number, status: number, text: string): Buffer {
  const frame = Buffer.allocUnsafe(REPLY_HEAD + Buffer.byteLength(text));
  frame.writeUInt32BE(frame.length - 4, 0);
  frame[4] = status;
  frame.writeUInt32BE(id, 5);
  frame.write(text, REPLY_HEAD, "utf8");
  return frame;
}

export type Reply =
  | { readonly id: number; readonly status: typeof REPLY_OK; readonly value: Uint8Array; readonly expire: number | undefined }
  | { readonly id: number; readonly status: number; readonly text: string };

/** Decodes a reply frame (without its length prefix); the value is a copy, not a view of `frame`. */
export function decodeReply(frame: Buffer): Reply {
  if (frame.length < REPLY_HEAD - 4) throw new Error(`reply frame of ${frame.length} bytes is shorter than its ${REPLY_HEAD - 4}-byte header`);
  const status = frame[0] as number;
  const id = frame.readUInt32BE(1);
  if (status === REPLY_OK) {
    if (frame.length < OK_HEAD - 4) throw new Error(`reply frame of ${frame.length} bytes is shorter than a value reply's ${OK_HEAD - 4}-byte header`);
    const expire = frame.readDoubleBE(5);
    return { id, status, value: new Uint8Array(frame.subarray(OK_HEAD - 4)), expire: Number.isNaN(expire) ? undefined : expire };
  }
  if (REPLY_HTTP_STATUS[status] === undefined) throw new Error(`unknown reply status ${status}`);
  return { id, status, text: frame.toString("utf8", REPLY_HEAD - 4) };
}

/**
 * Writes a frame so that the frames written in the same turn of the event loop leave in one write (the socket is
 * corked by the first of them and uncorked once the turn's callbacks have run).
 */
export function writeFrame(socket: Writable, frame: Buffer): void {
  if (socket.writableCorked === 0) {
    socket.cork();
    process.nextTick(uncork, socket);
  }
  socket.write(frame);
}

function uncork(socket: Writable): void {
  socket.uncork();
}

/** A frame's length prefix is over the limit: the stream is closed (nothing after it can be trusted). */
export class FrameTooLargeError extends Error {
  constructor(length: number, limit: number) {
    super(`frame of ${length} bytes exceeds the limit of ${limit}`);
  }
}

/**
 * Cuts a byte stream into frames. A frame that arrives whole within one chunk is handed over as a view of
 * the chunk (no copy); one split across chunks is gathered into a buffer of its exact size.
 */
export class FrameReader {
  readonly #limit: number;
  readonly #onFrame: (frame: Buffer) => void;
  /** Up to 3 bytes of a split length prefix. */
  #prefix: Buffer | undefined;
  /** The frame being gathered, and how much of it has arrived. */
  #partial: Buffer | undefined;
  #filled = 0;

  constructor(limit: number, onFrame: (frame: Buffer) => void) {
    this.#limit = limit;
    this.#onFrame = onFrame;
  }

  /** Feeds a chunk; throws a FrameTooLargeError on a length prefix over the limit. */
  push(chunk: Buffer): void {
    let at = 0;
    if (this.#partial !== undefined) {
      const n = Math.min(chunk.length, this.#partial.length - this.#filled);
      chunk.copy(this.#partial, this.#filled, 0, n);
      this.#filled += n;
      at = n;
      if (this.#filled < this.#partial.length) return;
      const frame = this.#partial;
      this.#partial = undefined;
      this.#onFrame(frame);
    }
    if (this.#prefix !== undefined) {
      const joined = Buffer.concat([this.#prefix, chunk.subarray(at)]);
      this.#prefix = undefined;
      chunk = joined;
      at = 0;
    }
    while (at < chunk.length) {
      if (chunk.length - at < 4) {
        this.#prefix = Buffer.from(chunk.subarray(at));
        return;
      }
      const length = chunk.readUInt32BE(at);
      if (length > this.#limit) throw new FrameTooLargeError(length, this.#limit);
      const start = at + 4;
      if (chunk.length - start >= length) {
        at = start + length;
        this.#onFrame(chunk.subarray(start, at));
        continue;
      }
      const partial = Buffer.allocUnsafe(length);
      chunk.copy(partial, 0, start);
      this.#partial = partial;
      this.#filled = chunk.length - start;
      return;
    }
  }
}
