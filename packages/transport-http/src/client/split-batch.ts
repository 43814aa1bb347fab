/** Bytes a key adds to a `GetManyRequest` besides its UTF-8: its tag and length. */
const KEY_OVERHEAD = 6;

/**
 * `keys` in runs of at most `maxKeys` keys and about `maxBytes` of request body each, in order. A key larger
 * than `maxBytes` on its own goes alone (the peer's 413 then sends it by the single-key path).
 */
export function splitBatch(keys: readonly string[], maxKeys: number, maxBytes: number): (readonly string[])[] {
  const batches: (readonly string[])[] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const key of keys) {
    const size = Buffer.byteLength(key, "utf8") + KEY_OVERHEAD;
    if (current.length > 0 && (current.length === maxKeys || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(key);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
