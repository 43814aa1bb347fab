import { DecodeError } from "@cachecluster/core";

/**
 * `GetResponse { optional bytes value = 1; optional double minute_qps = 2; optional int64 expire = 3; }`,
 * encoded and decoded by hand: it is on every peer fetch, on both ends, and protobufjs's reflection (a Writer
 * with its op list, a Reader, a message object) costs more than the three fields. The bytes are the ones
 * protobufjs writes for the same message (tested against it): fields in number order, `value` always present.
 */

export interface DecodedGetResponse {
  readonly value: Uint8Array;
  /** Unix ms. */
  readonly expire?: number;
  readonly minuteQps?: number;
}

const EMPTY: Uint8Array = new Uint8Array(0);
const float64 = new Float64Array(1);
const float64Bytes = new Uint8Array(float64.buffer);

/** Unix ms → int64 nanoseconds as two's-complement 32-bit halves, exactly (via BigInt; the result passes 2^53). */
export function msToNanos(ms: number): { low: number; high: number; unsigned: false } {
  const ns = BigInt(Math.round(ms)) * 1_000_000n;
  return { low: Number(BigInt.asIntN(32, ns)), high: Number(BigInt.asIntN(32, ns >> 32n)), unsigned: false };
}

/** int64 nanoseconds (number or Long) → Unix ms, rounded; 0 or negative means "no expiry" (mailgun writes 0). */
export function nanosToMs(ns: number | { low: number; high: number; unsigned?: boolean } | undefined): number | undefined {
  if (ns === undefined) return undefined;
  let big: bigint;
  if (typeof ns === "number") {
    if (!Number.isFinite(ns)) return undefined;
    big = BigInt(Math.trunc(ns));
  } else {
    big = (BigInt(ns.high) << 32n) | BigInt(ns.low >>> 0);
    if (ns.unsigned !== true) big = BigInt.asIntN(64, big);
  }
  if (big <= 0n) return undefined;
  return Number((big + 500_000n) / 1_000_000n);
}

function varintSize(n: number): number {
  // n < 2^31 here (a length).
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** The int64 varint of two's-complement halves `low`/`high` (10 bytes when negative, as protobuf writes it). */
function writeVarint64(out: Uint8Array, at: number, low: number, high: number): number {
  let lo = low >>> 0;
  let hi = high >>> 0;
  while (hi !== 0 || lo > 127) {
    out[at++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  out[at++] = lo;
  return at;
}

function varint64Size(low: number, high: number): number {
  let lo = low >>> 0;
  let hi = high >>> 0;
  let n = 1;
  while (hi !== 0 || lo > 127) {
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
    n++;
  }
  return n;
}

export function encodeGetResponse(value: Uint8Array, expireMs?: number): Uint8Array {
  const length = value.length;
  let size = 1 + varintSize(length) + length;
  let ns: { low: number; high: number } | undefined;
  if (expireMs !== undefined) {
    ns = msToNanos(expireMs);
    size += 1 + varint64Size(ns.low, ns.high);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = 0x0a; // field 1, length-delimited
  let n = length;
  while (n > 127) {
    out[at++] = (n & 127) | 128;
    n >>>= 7;
  }
  out[at++] = n;
  out.set(value, at);
  at += length;
  if (ns !== undefined) {
    out[at++] = 0x18; // field 3, varint
    writeVarint64(out, at, ns.low, ns.high);
  }
  return out;
}

/** Thrown inside the decoder; turned into the DecodeError the callers see. */
class Malformed extends Error {}

/**
 * Throws DecodeError on bytes that are not a GetResponse. `value` is a view into `bytes` (no copy), as
 * protobufjs's was. Unknown fields are skipped (Go's groupcache and mailgun's may add some); a known field with
 * another wire type is skipped as unknown, as protobuf-go does.
 */
export function decodeGetResponse(bytes: Uint8Array): DecodedGetResponse {
  try {
    return decode(bytes);
  } catch (cause) {
    throw new DecodeError(
      `expected a protobuf GetResponse, got ${bytes.length} undecodable bytes (${cause instanceof Error ? cause.message : String(cause)})`,
      {
        cause,
      },
    );
  }
}

function decode(bytes: Uint8Array): DecodedGetResponse {
  const end = bytes.length;
  let value: Uint8Array = EMPTY;
  let minuteQps: number | undefined;
  let expire: number | undefined;
  let at = 0;
  while (at < end) {
    // The tag: a varint, at most 32 bits used.
    let tag = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= end) throw new Malformed("truncated tag");
      if (shift > 28) throw new Malformed("tag too long");
      const b = bytes[at++] as number;
      tag |= (b & 127) << shift;
      if (b < 128) break;
    }
    tag >>>= 0;
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) throw new Malformed("field number 0");
    if (field === 1 && wire === 2) {
      const length = readLength(bytes, at);
      at = lengthEnd;
      if (length > end - at) throw new Malformed(`field 1 runs past the end (${length} bytes at ${at})`);
      value = bytes.subarray(at, at + length);
      at += length;
    } else if (field === 2 && wire === 1) {
      if (at + 8 > end) throw new Malformed("truncated double");
      for (let i = 0; i < 8; i++) float64Bytes[i] = bytes[at + i] as number;
      minuteQps = float64[0];
      at += 8;
    } else if (field === 3 && wire === 0) {
      at = readVarint64(bytes, at);
      expire = nanosToMs({ low: varLow, high: varHigh });
    } else {
      at = skip(bytes, at, wire, field);
    }
  }
  if (expire === undefined) return minuteQps === undefined ? { value } : { value, minuteQps };
  return minuteQps === undefined ? { value, expire } : { value, expire, minuteQps };
}

// Second results of the readers below (one thread; avoids an object per field).
let lengthEnd = 0;

/** A length varint (< 2^31) at `at`; leaves the position after it in `lengthEnd`. */
function readLength(bytes: Uint8Array, at: number): number {
  let n = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= bytes.length) throw new Malformed("truncated length");
    const b = bytes[at++] as number;
    if (shift === 28 && b > 7) throw new Malformed("length too large");
    n += (b & 127) * 2 ** shift;
    if (b < 128) break;
  }
  lengthEnd = at;
  return n;
}

let varLow = 0;
let varHigh = 0;

/** A 64-bit varint at `at` into `varLow`/`varHigh`; returns the position after it. */
function readVarint64(bytes: Uint8Array, at: number): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; ; i++) {
    if (i === 10) throw new Malformed("varint too long");
    if (at >= bytes.length) throw new Malformed("truncated varint");
    const b = bytes[at++] as number;
    const bits = b & 127;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= bits << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (7 * i - 32);
    if (b < 128) break;
  }
  varLow = lo;
  varHigh = hi;
  return at;
}

/** Skips one field's payload of wire type `wire`; groups (3/4) are skipped whole, as protobufjs does. */
function skip(bytes: Uint8Array, at: number, wire: number, field: number, depth = 0): number {
  switch (wire) {
    case 0:
      return readVarint64(bytes, at);
    case 1:
      if (at + 8 > bytes.length) throw new Malformed("truncated fixed64");
      return at + 8;
    case 2: {
      const length = readLength(bytes, at);
      const start = lengthEnd;
      if (length > bytes.length - start) throw new Malformed(`field ${field} runs past the end`);
      return start + length;
    }
    case 3: {
      if (depth > 32) throw new Malformed("groups nested too deep");
      for (;;) {
        if (at >= bytes.length) throw new Malformed("unterminated group");
        const tag = readLength(bytes, at) >>> 0;
        at = lengthEnd;
        if ((tag & 7) === 4) {
          if (tag >>> 3 !== field) throw new Malformed("mismatched end group");
          return at;
        }
        if (tag >>> 3 === 0) throw new Malformed("field number 0");
        at = skip(bytes, at, tag & 7, tag >>> 3, depth + 1);
      }
    }
    case 5:
      if (at + 4 > bytes.length) throw new Malformed("truncated fixed32");
      return at + 4;
    default:
      throw new Malformed(`invalid wire type ${wire} at offset ${at}`);
  }
}
