import { DecodeError, InvalidArgumentError } from "@cachecluster/core";
import { MessageType, messageTypeName, type MessageBodies, type WireMessage } from "./messages.js";
import type { StructSpec } from "./msgpack.js";
import { Reader } from "./msgpack-reader.js";
import { Writer } from "./msgpack-writer.js";
import { ackRespSpec, aliveSpec, compressSpec, deadSpec, errRespSpec, indirectPingReqSpec, nackRespSpec, pingSpec, suspectSpec } from "./structs.js";

/** The msgpack struct of each message type whose body is one msgpack value. */
export const BODY_SPECS: ReadonlyMap<number, StructSpec> = new Map<number, StructSpec>([
  [MessageType.Ping, pingSpec],
  [MessageType.IndirectPing, indirectPingReqSpec],
  [MessageType.AckResp, ackRespSpec],
  [MessageType.Suspect, suspectSpec],
  [MessageType.Alive, aliveSpec],
  [MessageType.Dead, deadSpec],
  [MessageType.Compress, compressSpec],
  [MessageType.NackResp, nackRespSpec],
  [MessageType.Err, errRespSpec],
]);

/** Reused by every encodeMessage (synchronous, never nested): a message costs one allocation, its bytes. */
const scratch = new Writer(1024);

/**
 * Encodes one message: the type byte then the body, byte-for-byte as memberlist's `encode()` writes it.
 * Types with a raw body (user, compound, encrypt, hasCrc, pushPull) take the bytes after the type byte.
 */
export function encodeMessage<T extends MessageType>(type: T, body: MessageBodies[T]): Uint8Array {
  const spec = BODY_SPECS.get(type);
  if (spec === undefined) {
    if (!(body instanceof Uint8Array) || !isMessageType(type)) {
      throw new InvalidArgumentError(`expected a message type from 0 to 13 with a matching body, got ${String(type)}`);
    }
    const out = new Uint8Array(body.length + 1);
    out[0] = type;
    out.set(body, 1);
    return out;
  }
  if (typeof body !== "object" || body === null || body instanceof Uint8Array) {
    throw new InvalidArgumentError(`expected the body of a ${messageTypeName(type)} message to be an object`);
  }
  const w = scratch;
  w.reset();
  w.byte(type);
  w.struct(spec, body);
  return w.finish();
}

/**
 * Decodes one message (type byte + body). Bytes after a msgpack body are ignored, as Go's decoder does.
 * Throws DecodeError on anything malformed.
 */
export function decodeMessage(buf: Uint8Array): WireMessage {
  if (buf.length < 1) throw new DecodeError("empty message: missing the message type byte");
  const type = buf[0] as number;
  if (!isMessageType(type)) throw new DecodeError(`unknown message type ${type}`);
  const spec = BODY_SPECS.get(type);
  if (spec === undefined) return { type, body: buf.slice(1) } as WireMessage;
  const body = decodeBody(spec, buf, 1);
  return { type, body } as WireMessage;
}

/** Decodes one msgpack struct at `offset`, wrapping any failure as DecodeError. */
export function decodeBody<T>(spec: StructSpec, buf: Uint8Array, offset = 0): T {
  return new Reader(buf, offset).struct<T>(spec);
}

export function isMessageType(type: number): type is MessageType {
  return Number.isInteger(type) && type >= 0 && type <= 13;
}
