import { META_MAX_SIZE } from "../wire/index.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Node metadata: JSON `{"cacheUrl": "..."}` (opaque bytes to a Go member; at most 512 bytes). */
export function encodeMeta(cacheUrl: string): Uint8Array {
  const bytes = encoder.encode(JSON.stringify({ cacheUrl }));
  if (bytes.byteLength > META_MAX_SIZE) throw new RangeError(`expected node metadata of at most ${META_MAX_SIZE} bytes, got ${bytes.byteLength}`);
  return bytes;
}

/** The cache URL in a member's metadata: JSON `cacheUrl`, or the bytes themselves when they are a URL; else "". */
export function decodeMeta(meta: Uint8Array): string {
  if (meta.byteLength === 0) return "";
  const text = decoder.decode(meta);
  if (text.startsWith("{")) {
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === "object" && value !== null && "cacheUrl" in value && typeof value.cacheUrl === "string") return value.cacheUrl;
    } catch {
      return "";
    }
    return "";
  }
  return /^https?:\/\//.test(text) ? text : "";
}
