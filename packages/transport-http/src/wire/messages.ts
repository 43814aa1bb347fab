import { DecodeError } from "@cachecluster/core";
import protobuf from "protobufjs/light.js";

/**
 * The wire messages, proto2, as golang/groupcache's `groupcachepb` plus mailgun/groupcache's extensions:
 *
 * ```proto
 * message GetResponse { optional bytes value = 1; optional double minute_qps = 2; optional int64 expire = 3; }
 * message SetRequest { required string group = 1; required string key = 2; optional bytes value = 3; optional int64 expire = 4; }
 * ```
 * `expire` is nanoseconds since the Unix epoch (0 or absent: never), mailgun's field and unit.
 * golang/groupcache's decoder skips field 3 as unknown, so a Go peer reads our responses unchanged.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    groupcachepb: {
      nested: {
        GetResponse: {
          fields: {
            value: { type: "bytes", id: 1 },
            minute_qps: { type: "double", id: 2 },
            expire: { type: "int64", id: 3 },
          },
        },
        SetRequest: {
          fields: {
            group: { rule: "required", type: "string", id: 1 },
            key: { rule: "required", type: "string", id: 2 },
            value: { type: "bytes", id: 3 },
            expire: { type: "int64", id: 4 },
          },
        },
      },
    },
  },
});

const GetResponseType = root.lookupType("groupcachepb.GetResponse");
const SetRequestType = root.lookupType("groupcachepb.SetRequest");

type Int64 = number | { low: number; high: number; unsigned?: boolean };

interface GetResponseMessage {
  value?: Uint8Array;
  minute_qps?: number;
  expire?: Int64;
}

interface SetRequestMessage {
  group: string;
  key: string;
  value?: Uint8Array;
  expire?: Int64;
}

export interface DecodedGetResponse {
  readonly value: Uint8Array;
  /** Unix ms. */
  readonly expire?: number;
  readonly minuteQps?: number;
}

export interface DecodedSetRequest {
  readonly group: string;
  readonly key: string;
  readonly value: Uint8Array;
  /** Unix ms. */
  readonly expire?: number;
}

const EMPTY = new Uint8Array(0);

export function encodeGetResponse(value: Uint8Array, expireMs?: number): Uint8Array {
  const message: GetResponseMessage = { value };
  if (expireMs !== undefined) message.expire = msToNanos(expireMs);
  return GetResponseType.encode(message).finish();
}

/** Throws DecodeError on bytes that are not a GetResponse. */
export function decodeGetResponse(bytes: Uint8Array): DecodedGetResponse {
  let m: GetResponseMessage;
  try {
    m = GetResponseType.decode(bytes) as GetResponseMessage;
  } catch (cause) {
    throw new DecodeError(`expected a protobuf GetResponse, got ${bytes.length} undecodable bytes (${describeCause(cause)})`, { cause });
  }
  const value = has(m, "value") && m.value !== undefined ? m.value : EMPTY;
  const expire = has(m, "expire") ? nanosToMs(m.expire) : undefined;
  const minuteQps = has(m, "minute_qps") ? m.minute_qps : undefined;
  return {
    value,
    ...(expire === undefined ? {} : { expire }),
    ...(minuteQps === undefined ? {} : { minuteQps }),
  };
}

export function encodeSetRequest(group: string, key: string, value: Uint8Array, expireMs?: number): Uint8Array {
  const message: SetRequestMessage = { group, key, value };
  if (expireMs !== undefined) message.expire = msToNanos(expireMs);
  return SetRequestType.encode(message).finish();
}

/** Throws DecodeError on bytes that are not a SetRequest (required group and key missing included). */
export function decodeSetRequest(bytes: Uint8Array): DecodedSetRequest {
  let m: SetRequestMessage;
  try {
    m = SetRequestType.decode(bytes) as unknown as SetRequestMessage;
  } catch (cause) {
    throw new DecodeError(`expected a protobuf SetRequest, got ${bytes.length} undecodable bytes (${describeCause(cause)})`, { cause });
  }
  const expire = has(m, "expire") ? nanosToMs(m.expire) : undefined;
  const value = has(m, "value") && m.value !== undefined ? m.value : EMPTY;
  return expire === undefined ? { group: m.group, key: m.key, value } : { group: m.group, key: m.key, value, expire };
}

/** Unix ms → int64 nanoseconds, exactly (via BigInt; the result passes 2^53). */
export function msToNanos(ms: number): { low: number; high: number; unsigned: false } {
  const ns = BigInt(Math.round(ms)) * 1_000_000n;
  return { low: Number(BigInt.asIntN(32, ns)), high: Number(BigInt.asIntN(32, ns >> 32n)), unsigned: false };
}

/** int64 nanoseconds (number or Long) → Unix ms, rounded; 0 or negative means "no expiry" (mailgun writes 0). */
export function nanosToMs(ns: Int64 | undefined): number | undefined {
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

function has(m: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, field);
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
