import { DecodeError } from "@cachecluster/core";
import { CompressionType, MessageType, type Compress } from "./messages.js";
import { decodeBody } from "./message-codec.js";
import { Writer } from "./msgpack-writer.js";
import { compressSpec } from "./structs.js";
import { DEFAULT_MAX_DECOMPRESSED_BYTES, lzwCompress, lzwDecompress } from "./lzw.js";

/** Wraps a message in a compressMsg (type byte + msgpack compress{Algo: lzw, Buf}), as compressPayload. */
export function encodeCompress(msg: Uint8Array): Uint8Array {
  const body: Compress = { Algo: CompressionType.Lzw, Buf: lzwCompress(msg) };
  const w = new Writer(body.Buf.length + 32);
  w.byte(MessageType.Compress);
  w.struct(compressSpec, body);
  return w.finish();
}

/**
 * Unwraps a compressMsg body (bytes after the type byte) into the inner message, as decompressPayload.
 * DecodeError for an unknown algorithm, bad LZW data, or output beyond `maxOutput` bytes.
 */
export function decodeCompress(body: Uint8Array, maxOutput: number = DEFAULT_MAX_DECOMPRESSED_BYTES): Uint8Array {
  return decompressBody(decodeBody<Compress>(compressSpec, body), maxOutput);
}

/** decompressBuffer: the payload of a decoded compress struct. */
export function decompressBody(c: Compress, maxOutput: number = DEFAULT_MAX_DECOMPRESSED_BYTES): Uint8Array {
  const algo: number = c.Algo;
  if (algo !== CompressionType.Lzw) throw new DecodeError(`cannot decompress unknown algorithm ${algo}`);
  return lzwDecompress(c.Buf, maxOutput);
}
