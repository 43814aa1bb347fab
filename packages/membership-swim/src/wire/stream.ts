import { DecodeError, InvalidArgumentError } from "@cachecluster/core";
import { decompressBody, encodeCompress } from "./compress.js";
import { EncryptionError } from "./encryption-error.js";
import type { Keyring } from "./keyring.js";
import {
  MAX_PUSH_STATE_BYTES,
  MessageType,
  messageTypeName,
  type AckResp,
  type Compress,
  type ErrResp,
  type Ping,
  type PushNodeState,
  type PushPullHeader,
  type UserMsgHeader,
} from "./messages.js";
import { Truncated } from "./msgpack.js";
import { Reader } from "./msgpack-reader.js";
import { Writer } from "./msgpack-writer.js";
import { decryptPayload, encryptedLength, encryptPayload, type EncryptionVersion } from "./security.js";
import { ackRespSpec, compressSpec, errRespSpec, pingSpec, pushNodeStateSpec, pushPullHeaderSpec, userMsgHeaderSpec } from "./structs.js";

/** A push/pull exchange: the node states and the delegate's user state. */
export interface PushPull {
  join: boolean;
  states: PushNodeState[];
  userState: Uint8Array;
}

/** A message read from a stream (TCP) connection. */
export type StreamMessage =
  | { type: typeof MessageType.PushPull; body: PushPull }
  | { type: typeof MessageType.Ping; body: Ping }
  | { type: typeof MessageType.AckResp; body: AckResp }
  | { type: typeof MessageType.User; body: Uint8Array }
  | { type: typeof MessageType.Err; body: ErrResp };

export interface EncodeStreamOptions {
  /** Wrap the message in a compressMsg (EnableCompression; used even when larger, as memberlist does). */
  compress?: boolean;
  /** Encrypt with the primary key as an encryptMsg frame (GossipVerifyOutgoing). */
  keyring?: Keyring;
  /** Default 1. */
  encryptionVersion?: EncryptionVersion;
}

export interface DecodeStreamOptions {
  /** Keys to decrypt encryptMsg frames; without one, an encrypted stream is a DecodeError. */
  keyring?: Keyring;
  /** With a keyring: refuse unencrypted streams (GossipVerifyIncoming). Default true. */
  verifyIncoming?: boolean;
  /** Bound on an encrypted frame, decompressed data and a whole message. Default 20 MiB (maxPushStateBytes). */
  maxStreamBytes?: number;
}

/** Result of reading a stream buffer that may not hold a whole message yet. */
export type StreamReadResult = { done: false } | { done: true; message: StreamMessage; consumed: number };

/** pushPullMsg message as sendLocalState writes it: type byte, header, each node state, raw user state. */
export function encodePushPull(pushPull: PushPull): Uint8Array {
  const header: PushPullHeader = { Nodes: pushPull.states.length, UserStateLen: pushPull.userState.length, Join: pushPull.join };
  const w = new Writer(64 + pushPull.states.length * 96 + pushPull.userState.length);
  w.byte(MessageType.PushPull);
  w.struct(pushPullHeaderSpec, header);
  for (const state of pushPull.states) w.struct(pushNodeStateSpec, state);
  w.bytes(pushPull.userState);
  return w.finish();
}

/** Decodes a whole pushPullMsg body (the bytes after the type byte), as readRemoteState. */
export function decodePushPull(body: Uint8Array, maxStateBytes: number = MAX_PUSH_STATE_BYTES): PushPull {
  return readPushPull(new Reader(body), maxStateBytes);
}

/** userMsg on a stream as sendUserMsg writes it: type byte, userMsgHeader, raw payload. */
export function encodeStreamUserMsg(payload: Uint8Array): Uint8Array {
  const w = new Writer(payload.length + 16);
  w.byte(MessageType.User);
  w.struct(userMsgHeaderSpec, { UserMsgLen: payload.length } satisfies UserMsgHeader);
  w.bytes(payload);
  return w.finish();
}

/**
 * Frames one message (type byte included) for a stream as rawSendMsgStream: a compressMsg if asked, then,
 * with a keyring, [encryptMsg][uint32 BE length][encrypted payload] with the first 5 bytes as additional data.
 */
export function encodeStream(msg: Uint8Array, options: EncodeStreamOptions = {}): Uint8Array {
  if (msg.length === 0) throw new InvalidArgumentError("expected a message holding at least its type byte");
  let out = msg;
  if (options.compress === true) out = encodeCompress(out);
  if (options.keyring !== undefined) {
    const vsn = options.encryptionVersion ?? 1;
    const header = new Uint8Array(5);
    header[0] = MessageType.Encrypt;
    new DataView(header.buffer).setUint32(1, encryptedLength(vsn, out.length));
    const sealed = encryptPayload(vsn, options.keyring.getPrimaryKey(), out, header);
    const framed = new Uint8Array(5 + sealed.length);
    framed.set(header);
    framed.set(sealed, 5);
    out = framed;
  }
  return out;
}

/**
 * Reads one message from the bytes received so far on a stream, as readStream plus the per-type reader
 * (readRemoteState, readUserMsg, ping/ack/err decoding). Returns `{ done: false }` while more bytes are
 * needed; throws DecodeError when the bytes can never form a valid message or exceed maxStreamBytes.
 */
export function readStreamMessage(buf: Uint8Array, options: DecodeStreamOptions = {}): StreamReadResult {
  const result = tryReadStreamMessage(buf, options);
  return result.done ? result : { done: false };
}

/**
 * @internal readStreamMessage for a reader fed chunk by chunk: an incomplete message also says how many
 * bytes (from the start) must be there before another attempt can get further.
 */
export function tryReadStreamMessage(buf: Uint8Array, options: DecodeStreamOptions = {}): StreamReadResult | { done: false; needed: number } {
  const max = options.maxStreamBytes ?? MAX_PUSH_STATE_BYTES;
  if (buf.length === 0) return { done: false, needed: 1 };
  const type = buf[0] as number;
  if (type === MessageType.Encrypt) {
    if (options.keyring === undefined) throw new EncryptionError("unexpected-encryption", "remote state is encrypted and encryption is not configured");
    if (buf.length < 5) return { done: false, needed: 5 };
    const length = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
    if (length > max) throw new DecodeError(`remote node state is larger than limit (${length} > ${max} bytes)`);
    if (buf.length < 5 + length) return { done: false, needed: 5 + length };
    let plain: Uint8Array;
    try {
      plain = decryptPayload(options.keyring.getKeys(), buf.subarray(5, 5 + length), buf.subarray(0, 5));
    } catch (err) {
      throw new EncryptionError("undecryptable", `remote state cannot be decrypted: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    try {
      return { done: true, message: readPlain(plain, max), consumed: 5 + length };
    } catch (err) {
      if (err instanceof Truncated) throw new DecodeError(`encrypted stream message is incomplete: ${err.message}`, { cause: err });
      throw err;
    }
  }
  if (options.keyring !== undefined && (options.verifyIncoming ?? true)) {
    const remoteError = plaintextErrorReply(buf, max);
    const said = remoteError === undefined ? "" : ` (it answered: ${JSON.stringify(remoteError)})`;
    throw new EncryptionError("unencrypted", `encryption is configured but remote state is not encrypted${said}`, { remoteError });
  }
  try {
    const reader = new Reader(buf, 0);
    const message = readPlainAt(reader, max);
    return { done: true, message, consumed: reader.pos };
  } catch (err) {
    if (err instanceof Truncated) {
      if (buf.length > max) throw new DecodeError(`stream message is larger than limit (${max} bytes)`, { cause: err });
      return { done: false, needed: err.needed };
    }
    throw err;
  }
}

/** The text of a plaintext memberlist error reply, when `buf` holds a whole one (for diagnostics only). */
function plaintextErrorReply(buf: Uint8Array, max: number): string | undefined {
  if (buf[0] !== MessageType.Err && buf[0] !== MessageType.Compress) return undefined;
  try {
    const message = readPlainAt(new Reader(buf, 0), max);
    return message.type === MessageType.Err ? message.body.Error : undefined;
  } catch {
    return undefined;
  }
}

/** A whole plaintext message (after decryption): truncation is an error here. */
function readPlain(plain: Uint8Array, max: number): StreamMessage {
  return readPlainAt(new Reader(plain, 0), max);
}

function readPlainAt(reader: Reader, max: number): StreamMessage {
  const type = reader.buf[reader.pos] as number;
  reader.pos++;
  if (type !== MessageType.Compress) return readTyped(type, reader, max);
  const c = reader.struct<Compress>(compressSpec);
  const inner = decompressBody(c, max);
  if (inner.length === 0) throw new DecodeError("compressed stream message is empty");
  const innerReader = new Reader(inner, 1);
  try {
    return readTyped(inner[0] as number, innerReader, max);
  } catch (err) {
    if (err instanceof Truncated) throw new DecodeError(`compressed stream message is incomplete: ${err.message}`, { cause: err });
    throw err;
  }
}

function readTyped(type: number, reader: Reader, max: number): StreamMessage {
  switch (type) {
    case MessageType.PushPull:
      return { type, body: readPushPull(reader, max) };
    case MessageType.Ping:
      return { type, body: reader.struct<Ping>(pingSpec) };
    case MessageType.AckResp:
      return { type, body: reader.struct<AckResp>(ackRespSpec) };
    case MessageType.Err:
      return { type, body: reader.struct<ErrResp>(errRespSpec) };
    case MessageType.User: {
      const header = reader.struct<UserMsgHeader>(userMsgHeaderSpec);
      if (header.UserMsgLen > max) throw new DecodeError(`user message is larger than limit (${header.UserMsgLen} > ${max} bytes)`);
      return { type, body: takeRaw(reader, Math.max(0, header.UserMsgLen), "user message") };
    }
    default:
      throw new DecodeError(`message type ${messageTypeName(type)} is not supported on a stream`);
  }
}

/** @internal Reads a push/pull body at the reader's position. */
export function readPushPull(reader: Reader, max: number): PushPull {
  const header = reader.struct<PushPullHeader>(pushPullHeaderSpec);
  if (header.Nodes < 0) throw new DecodeError(`push/pull header announces ${header.Nodes} nodes`);
  if (header.Nodes > max) throw new DecodeError(`push/pull header announces ${header.Nodes} nodes, beyond the limit`);
  if (header.UserStateLen > max) throw new DecodeError(`push/pull user state is larger than limit (${header.UserStateLen} > ${max} bytes)`);
  const states: PushNodeState[] = [];
  for (let i = 0; i < header.Nodes; i++) states.push(reader.struct<PushNodeState>(pushNodeStateSpec));
  const userState = takeRaw(reader, Math.max(0, header.UserStateLen), "push/pull user state");
  return { join: header.Join, states, userState };
}

function takeRaw(reader: Reader, n: number, what: string): Uint8Array {
  if (reader.pos + n > reader.buf.length) throw new Truncated(what, reader.pos + n);
  const out = reader.buf.slice(reader.pos, reader.pos + n);
  reader.pos += n;
  return out;
}
