import { DecodeError } from "../errors.js";

/**
 * The gossip message that tells every node to drop its hot copies of some keys of one group (sent after a
 * `remove` or `set`). It shares memberlist's user-message channel with the application's own messages, so it
 * starts with a prefix no text or JSON message can start with (0xFF is never in UTF-8):
 *
 *   0xFF 'c' 'c'   prefix: a cachecluster message
 *   0x01           format version
 *   0x01           type: invalidate hot copies
 *   8 bytes        origin: the sending node's random id
 *   varint         sequence number of the message at its origin (wraps at 2^28)
 *   varint + UTF-8 group name (not empty)
 *   varint         key count (>= 1)
 *   per key: varint + UTF-8 key
 *
 * Varints are unsigned LEB128 (protobuf's), at most 4 bytes here. Origin and sequence identify the message, so
 * each node applies and relays it once (memberlist does not relay user messages; see GossipInvalidation). The
 * message carries no value, version or timestamp: a receiver only drops copies, and its next get asks the owner.
 */
export const INVALIDATION_PREFIX: readonly number[] = [0xff, 0x63, 0x63];
export const INVALIDATION_VERSION = 1;
const TYPE_INVALIDATE = 1;
const HEADER = INVALIDATION_PREFIX.length + 2;
export const ORIGIN_BYTES = 8;
const MAX_LENGTH = 0x0fff_ffff;
/** Sequence numbers wrap here (4-byte varints). */
export const SEQUENCE_LIMIT = MAX_LENGTH + 1;

export type DecodedMessage =
  /** Not cachecluster's: an application's own user message. */
  | { readonly kind: "foreign" }
  /** cachecluster's, from a newer version (unknown format version or type): ignored. */
  | { readonly kind: "unsupported"; readonly version: number; readonly type: number }
  | {
      readonly kind: "invalidate";
      /** The origin's id, as 16 hex digits, and the message's sequence number there: "<origin>:<sequence>". */
      readonly id: string;
      readonly origin: string;
      readonly group: string;
      readonly keys: readonly string[];
    };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The encoded header of a message from `origin` (8 bytes) numbered `sequence`, with its group name: `encodeMessage` appends keys. */
export function encodeGroup(group: string, origin: Uint8Array = new Uint8Array(ORIGIN_BYTES), sequence = 0): Uint8Array {
  if (origin.length !== ORIGIN_BYTES) throw new RangeError(`expected an origin id of ${ORIGIN_BYTES} bytes, got ${origin.length}`);
  const name = encoder.encode(group);
  const out = new Uint8Array(HEADER + ORIGIN_BYTES + varintSize(sequence) + varintSize(name.length) + name.length);
  out.set(INVALIDATION_PREFIX);
  out[HEADER - 2] = INVALIDATION_VERSION;
  out[HEADER - 1] = TYPE_INVALIDATE;
  out.set(origin, HEADER);
  let at = writeVarint(out, HEADER + ORIGIN_BYTES, sequence);
  at = writeVarint(out, at, name.length);
  out.set(name, at);
  return out;
}

/** A key as it travels in a message: varint length + UTF-8. */
export function encodeKey(key: string): Uint8Array {
  const bytes = encoder.encode(key);
  const out = new Uint8Array(varintSize(bytes.length) + bytes.length);
  out.set(bytes, writeVarint(out, 0, bytes.length));
  return out;
}

/** Bytes of a message with `group` (from `encodeGroup`) and `keyCount` keys totalling `keyBytes` (from `encodeKey`). */
export function messageSize(group: Uint8Array, keyCount: number, keyBytes: number): number {
  return group.length + varintSize(keyCount) + keyBytes;
}

/** One message of `group` (from `encodeGroup`) with `keys` (from `encodeKey`). */
export function encodeMessage(group: Uint8Array, keys: readonly Uint8Array[]): Uint8Array {
  const keyBytes = keys.reduce((sum, k) => sum + k.length, 0);
  const out = new Uint8Array(messageSize(group, keys.length, keyBytes));
  out.set(group);
  let at = writeVarint(out, group.length, keys.length);
  for (const key of keys) {
    out.set(key, at);
    at += key.length;
  }
  return out;
}

/** Decodes a user message; throws `DecodeError` for a cachecluster message that is truncated or garbled. */
export function decodeMessage(bytes: Uint8Array): DecodedMessage {
  if (bytes.length < INVALIDATION_PREFIX.length || INVALIDATION_PREFIX.some((b, i) => bytes[i] !== b)) return { kind: "foreign" };
  if (bytes.length < HEADER) throw new DecodeError(`invalidation message: ${bytes.length} bytes, shorter than its ${HEADER}-byte header`);
  const version = bytes[HEADER - 2]!;
  const type = bytes[HEADER - 1]!;
  if (version !== INVALIDATION_VERSION || type !== TYPE_INVALIDATE) return { kind: "unsupported", version, type };
  if (bytes.length < HEADER + ORIGIN_BYTES) throw new DecodeError(`invalidation message: ${bytes.length} bytes, too short for its origin`);
  const origin = Buffer.from(bytes.buffer, bytes.byteOffset + HEADER, ORIGIN_BYTES).toString("hex");
  const reader = { bytes, at: HEADER + ORIGIN_BYTES };
  const sequence = readVarint(reader, "sequence number");
  const group = readString(reader, "group name");
  if (group.length === 0) throw new DecodeError("invalidation message: empty group name");
  const count = readVarint(reader, "key count");
  if (count === 0) throw new DecodeError("invalidation message: no keys");
  // Each key takes at least one byte: a count above what is left is garbage, not a reason to allocate.
  if (count > bytes.length - reader.at) throw new DecodeError(`invalidation message: ${count} keys announced, ${bytes.length - reader.at} bytes left`);
  const keys: string[] = [];
  for (let i = 0; i < count; i++) keys.push(readString(reader, `key ${i}`));
  if (reader.at !== bytes.length) throw new DecodeError(`invalidation message: ${bytes.length - reader.at} bytes after the last key`);
  return { kind: "invalidate", id: `${origin}:${sequence}`, origin, group, keys };
}

interface Reader {
  readonly bytes: Uint8Array;
  at: number;
}

function readString(reader: Reader, what: string): string {
  const length = readVarint(reader, `${what} length`);
  const end = reader.at + length;
  if (end > reader.bytes.length) throw new DecodeError(`invalidation message: ${what} of ${length} bytes runs past the end`);
  let text: string;
  try {
    text = decoder.decode(reader.bytes.subarray(reader.at, end));
  } catch (error) {
    throw new DecodeError(`invalidation message: ${what} is not UTF-8`, { cause: error });
  }
  reader.at = end;
  return text;
}

function readVarint(reader: Reader, what: string): number {
  let value = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    const byte = reader.bytes[reader.at++];
    if (byte === undefined) throw new DecodeError(`invalidation message: ${what} runs past the end`);
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return value;
  }
  throw new DecodeError(`invalidation message: ${what} is longer than 4 bytes`);
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  if (value > MAX_LENGTH) throw new RangeError(`length ${value} does not fit an invalidation message`);
  let v = value;
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20_0000 ? 3 : 4;
}
