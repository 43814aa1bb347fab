const encoder = new TextEncoder();

/**
 * One key at a time, as the store sees it: its hash and UTF-8 length, and whether stored key bytes are it.
 * Keys are kept as UTF-8 bytes in slabs, not as strings, so the hash is of the UTF-8 bytes; an ASCII key (the
 * common case) is hashed and compared straight from its char codes, any other is encoded once into a scratch
 * buffer. `load(key)` must be called before the other methods, which refer to the key last loaded.
 */
export class KeyCodec {
  /** The loaded key. */
  key = "";
  /** Its UTF-8 byte length. */
  length = 0;
  #ascii = true;
  #scratch = new Uint8Array(256);

  /** Loads `key` and returns its hash (FNV-1a over the UTF-8 bytes, then murmur3's finalizer: every bit counts). */
  load(key: string): number {
    this.key = key;
    const n = key.length;
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) return this.#loadEncoded(key);
      h = Math.imul(h ^ c, 0x01000193);
    }
    this.#ascii = true;
    this.length = n;
    return finalize(h);
  }

  /** Whether `bytes[offset, offset + length)` holds the loaded key. */
  equals(bytes: Uint8Array, offset: number, length: number): boolean {
    if (length !== this.length) return false;
    if (this.#ascii) {
      const key = this.key;
      for (let i = 0; i < length; i++) if (key.charCodeAt(i) !== bytes[offset + i]) return false;
      return true;
    }
    const scratch = this.#scratch;
    for (let i = 0; i < length; i++) if (scratch[i] !== bytes[offset + i]) return false;
    return true;
  }

  /** Writes the loaded key's UTF-8 bytes at `bytes[offset]`. */
  write(bytes: Uint8Array, offset: number): void {
    if (!this.#ascii) {
      bytes.set(this.#scratch.subarray(0, this.length), offset);
      return;
    }
    const key = this.key;
    for (let i = 0; i < key.length; i++) bytes[offset + i] = key.charCodeAt(i);
  }

  #loadEncoded(key: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.#scratch.length < key.length * 3) this.#scratch = new Uint8Array(key.length * 3);
    const bytes = this.#scratch;
    const n = encoder.encodeInto(key, bytes).written;
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    this.#ascii = false;
    this.length = n;
    return finalize(h);
  }
}

/** The UTF-8 bytes of a stored key, as a string. */
export function decodeKey(bytes: Uint8Array, offset: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString("utf8");
}

/** murmur3's 32-bit finalizer. */
function finalize(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
