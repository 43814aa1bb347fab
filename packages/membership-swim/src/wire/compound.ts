import { DecodeError, InvalidArgumentError } from "@cachecluster/core";
import { MessageType } from "./messages.js";

/** The format's limit: the part count is one byte. */
export const MAX_COMPOUND_PARTS = 255;
/**
 * The most parts memberlist 0.2.2 decodes correctly: its decodeCompoundMessage computes `numParts*2` in
 * uint8, so with 128 parts or more it reads the parts from the wrong offset. encodeCompound splits there.
 */
export const GO_SAFE_COMPOUND_PARTS = 127;
/** Each part's length is a uint16. */
export const MAX_COMPOUND_PART_BYTES = 0xffff;

/**
 * Builds compoundMsg messages (type byte included) as makeCompoundMessage: [7][count][uint16 BE lengths][parts].
 * More than `maxParts` (default 127, see GO_SAFE_COMPOUND_PARTS; at most 255) are split over several
 * compound messages, in order.
 */
export function encodeCompound(msgs: readonly Uint8Array[], maxParts: number = GO_SAFE_COMPOUND_PARTS): Uint8Array[] {
  if (!Number.isInteger(maxParts) || maxParts < 1 || maxParts > MAX_COMPOUND_PARTS) {
    throw new InvalidArgumentError(`expected maxParts to be an integer from 1 to 255, got ${maxParts}`);
  }
  const out: Uint8Array[] = [];
  for (let start = 0; start < msgs.length; start += maxParts) {
    out.push(makeCompound(msgs.slice(start, start + maxParts)));
  }
  return out;
}

function makeCompound(msgs: readonly Uint8Array[]): Uint8Array {
  let size = 2 + 2 * msgs.length;
  for (const m of msgs) {
    if (m.length > MAX_COMPOUND_PART_BYTES) {
      throw new InvalidArgumentError(`expected each compound part to be at most 65535 bytes, got ${m.length}`);
    }
    size += m.length;
  }
  const out = new Uint8Array(size);
  out[0] = MessageType.Compound;
  out[1] = msgs.length;
  let pos = 2;
  for (const m of msgs) {
    out[pos++] = m.length >> 8;
    out[pos++] = m.length & 0xff;
  }
  for (const m of msgs) {
    out.set(m, pos);
    pos += m.length;
  }
  return out;
}

/**
 * Splits a compoundMsg body (the bytes after the type byte) into its parts, as decodeCompoundMessage.
 * `truncated` counts announced parts missing at the end; the parts are views into `body`.
 */
export function decodeCompound(body: Uint8Array): { parts: Uint8Array[]; truncated: number } {
  if (body.length < 1) throw new DecodeError("compound message: missing the part count byte");
  const count = body[0] as number;
  let pos = 1 + 2 * count;
  if (body.length < pos) throw new DecodeError(`compound message: truncated length list (${count} parts announced, ${body.length} bytes)`);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const len = ((body[1 + 2 * i] as number) << 8) | (body[2 + 2 * i] as number);
    if (body.length - pos < len) return { parts, truncated: count - i };
    parts.push(body.subarray(pos, pos + len));
    pos += len;
  }
  return { parts, truncated: 0 };
}
