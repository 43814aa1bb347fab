import * as zlib from "node:zlib";
import { DecodeError } from "@cachecluster/core";
import { MessageType } from "./messages.js";

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** node:zlib's native crc32 (Node >= 20.15), when present. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 (IEEE), as Go's crc32.ChecksumIEEE. */
export function crc32(data: Uint8Array): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(data, 0) >>> 0;
  return tableCrc32(data);
}

/** The same checksum computed in JavaScript (the fallback, and a check of the native one in tests). */
export function tableCrc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = (TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Prefixes a packet with hasCrcMsg + the big-endian CRC-32 of the packet (memberlist rawSendMsgPacket). */
export function addCrc(packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(packet.length + 5);
  out[0] = MessageType.HasCrc;
  new DataView(out.buffer).setUint32(1, crc32(packet));
  out.set(packet, 5);
  return out;
}

/**
 * Verifies a hasCrcMsg packet (type byte included) and returns the inner packet (a view), as ingestPacket.
 * DecodeError when it is not a hasCrc packet of at least 5 bytes or the checksum differs.
 */
export function checkCrc(packet: Uint8Array): Uint8Array {
  if (packet.length < 5 || packet[0] !== MessageType.HasCrc) {
    throw new DecodeError(`expected a hasCrc packet of at least 5 bytes, got ${packet.length} bytes of type ${packet[0] ?? "none"}`);
  }
  const expected = new DataView(packet.buffer, packet.byteOffset, packet.byteLength).getUint32(1);
  const inner = packet.subarray(5);
  const actual = crc32(inner);
  if (actual !== expected) {
    throw new DecodeError(`invalid checksum for packet: computed ${actual.toString(16)}, expected ${expected.toString(16)}`);
  }
  return inner;
}
