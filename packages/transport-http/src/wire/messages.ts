import { DecodeError } from "@cachecluster/core";
import protobuf from "protobufjs/light.js";
import { msToNanos, nanosToMs } from "./get-response.js";

export { type DecodedGetResponse, decodeGetResponse, encodeGetResponse, msToNanos, nanosToMs } from "./get-response.js";

/**
 * The wire messages, proto2, as golang/groupcache's `groupcachepb` plus mailgun/groupcache's extensions:
 *
 * ```proto
 * message GetResponse { optional bytes value = 1; optional double minute_qps = 2; optional int64 expire = 3; }
 * message SetRequest { required string group = 1; required string key = 2; optional bytes value = 3; optional int64 expire = 4; }
 * ```
 * `expire` is nanoseconds since the Unix epoch (0 or absent: never), mailgun's field and unit.
 * golang/groupcache's decoder skips field 3 as unknown, so a Go peer reads our responses unchanged.
 * GetResponse, on every peer fetch, is coded by hand (get-response.ts); SetRequest goes through protobufjs.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    groupcachepb: {
      nested: {
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

const SetRequestType = root.lookupType("groupcachepb.SetRequest");

type Int64 = number | { low: number; high: number; unsigned?: boolean };

interface SetRequestMessage {
  group: string;
  key: string;
  value?: Uint8Array;
  expire?: Int64;
}

export interface DecodedSetRequest {
  readonly group: string;
  readonly key: string;
  readonly value: Uint8Array;
  /** Unix ms. */
  readonly expire?: number;
}

const EMPTY = new Uint8Array(0);

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

function has(m: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, field);
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
