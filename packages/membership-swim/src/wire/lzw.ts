import { DecodeError, InvalidArgumentError } from "@cachecluster/core";

/** Default bound on decompressed output (memberlist's maxPushStateBytes is 20 MiB; datagrams are far smaller). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 20 * 1024 * 1024;

const LIT_WIDTH = 8;
const MAX_CODE = (1 << 12) - 1;
const CLEAR = 1 << LIT_WIDTH;
const EOF_CODE = CLEAR + 1;
const TABLE_SIZE = 4 * (1 << 12);
const TABLE_MASK = TABLE_SIZE - 1;
const INVALID_CODE = 0xffffffff;

/**
 * Go's compress/lzw Writer with LSB order and litWidth 8 (memberlist's lzwLitWidth), byte-for-byte: same
 * greedy matching, code widths growing from 9 to 12 bits, a clear code when the table fills.
 */
export function lzwCompress(data: Uint8Array): Uint8Array {
  const out = new ByteSink(Math.max(16, data.length));
  const table = new Uint32Array(TABLE_SIZE);
  let bits = 0;
  let nBits = 0;
  let width = LIT_WIDTH + 1;
  let hi = CLEAR + 1;
  let overflow = CLEAR << 1;

  const write = (c: number): void => {
    bits = (bits | (c << nBits)) >>> 0;
    nBits += width;
    while (nBits >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      nBits -= 8;
    }
  };
  /** Go's incHi: returns false on "out of codes" (table reset). */
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      write(CLEAR);
      width = LIT_WIDTH + 1;
      hi = CLEAR + 1;
      overflow = CLEAR << 1;
      table.fill(0);
      return false;
    }
    return true;
  };

  let code = INVALID_CODE;
  if (data.length > 0) {
    write(CLEAR);
    code = data[0] as number;
    outer: for (let i = 1; i < data.length; i++) {
      const literal = data[i] as number;
      const key = code * 256 + literal; // < 2^20
      let hash = ((key >>> 12) ^ key) & TABLE_MASK;
      for (let h = hash, t = table[hash] as number; t !== 0; ) {
        if (key === t >>> 12) {
          code = t & MAX_CODE;
          continue outer;
        }
        h = (h + 1) & TABLE_MASK;
        t = table[h] as number;
      }
      write(code);
      code = literal;
      if (!incHi()) continue;
      for (;;) {
        if (table[hash] === 0) {
          table[hash] = ((key << 12) | hi) >>> 0;
          break;
        }
        hash = (hash + 1) & TABLE_MASK;
      }
    }
  }
  if (code !== INVALID_CODE) {
    write(code);
    incHi();
  } else {
    write(CLEAR);
  }
  write(EOF_CODE);
  if (nBits > 0) out.push(bits & 0xff);
  return out.finish();
}

/**
 * Go's compress/lzw Reader with LSB order and litWidth 8. The input must end with the EOF code (bytes after
 * it are ignored, as Go does). DecodeError on an invalid code, a missing EOF, or output beyond `maxOutput`.
 */
export function lzwDecompress(data: Uint8Array, maxOutput: number = DEFAULT_MAX_DECOMPRESSED_BYTES): Uint8Array {
  if (!Number.isSafeInteger(maxOutput) || maxOutput < 0) {
    throw new InvalidArgumentError(`expected maxOutput to be a non-negative integer, got ${maxOutput}`);
  }
  const out = new ByteSink(Math.min(maxOutput, Math.max(64, data.length * 3)));
  const suffix = new Uint8Array(1 << 12);
  const prefix = new Uint16Array(1 << 12);
  const scratch = new Uint8Array(1 << 12);
  const INVALID = 0xffff;
  let bits = 0;
  let nBits = 0;
  let width = LIT_WIDTH + 1;
  let hi = EOF_CODE;
  let overflow = 1 << width;
  let last = INVALID;
  let pos = 0;

  for (;;) {
    while (nBits < width) {
      if (pos >= data.length) throw new DecodeError("lzw: unexpected end of compressed data (no EOF code)");
      bits = (bits | ((data[pos++] as number) << nBits)) >>> 0;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;

    if (code < CLEAR) {
      out.push(code);
      if (out.length > maxOutput) throw tooLarge(maxOutput);
      if (last !== INVALID) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code === CLEAR) {
      width = LIT_WIDTH + 1;
      hi = EOF_CODE;
      overflow = 1 << width;
      last = INVALID;
      continue;
    } else if (code === EOF_CODE) {
      return out.finish();
    } else if (code <= hi) {
      let c = code;
      let i = scratch.length - 1;
      if (code === hi && last !== INVALID) {
        c = last;
        while (c >= CLEAR) c = prefix[c] as number;
        scratch[i--] = c;
        c = last;
      }
      while (c >= CLEAR) {
        scratch[i--] = suffix[c] as number;
        c = prefix[c] as number;
      }
      scratch[i] = c;
      const chunk = scratch.subarray(i);
      if (out.length + chunk.length > maxOutput) throw tooLarge(maxOutput);
      out.append(chunk);
      if (last !== INVALID) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      throw new DecodeError(`lzw: invalid code ${code}`);
    }
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === 12) {
        last = INVALID;
        hi--;
      } else {
        width++;
        overflow = 1 << width;
      }
    }
  }
}

function tooLarge(max: number): DecodeError {
  return new DecodeError(`lzw: decompressed data exceeds the limit of ${max} bytes`);
}

/** Growable byte output. */
class ByteSink {
  #buf: Uint8Array;
  length = 0;

  constructor(initial: number) {
    this.#buf = new Uint8Array(Math.max(16, initial));
  }

  #grow(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  push(b: number): void {
    if (this.length === this.#buf.length) this.#grow(1);
    this.#buf[this.length++] = b;
  }

  append(chunk: Uint8Array): void {
    this.#grow(chunk.length);
    this.#buf.set(chunk, this.length);
    this.length += chunk.length;
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}
