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

// Work tables shared by every call (JavaScript runs one call at a time); cleared at the start of each call.
const encTable = new Uint32Array(TABLE_SIZE);
const decSuffix = new Uint8Array(1 << 12);
const decPrefix = new Uint16Array(1 << 12);
const decScratch = new Uint8Array(1 << 12);

/**
 * Go's compress/lzw Writer with LSB order and litWidth 8 (memberlist's lzwLitWidth), byte-for-byte: same
 * greedy matching, code widths growing from 9 to 12 bits, a clear code when the table fills.
 */
export function lzwCompress(data: Uint8Array): Uint8Array {
  // Codes are at least 9 bits per input byte at worst, plus clear/EOF codes and slack.
  let out: Uint8Array = new Uint8Array(Math.ceil(data.length * 1.5) + 16);
  let o = 0;
  const table = encTable;
  table.fill(0);
  let bits = 0;
  let nBits = 0;
  let width = LIT_WIDTH + 1;
  let hi = CLEAR + 1;
  let overflow = CLEAR << 1;
  let code = INVALID_CODE;

  // write(c): Go's writeLSB. incHi: Go's incHi, returning false on "out of codes" (table reset).
  const n = data.length;
  if (n > 0) {
    bits |= CLEAR << nBits;
    nBits += width;
    while (nBits >= 8) {
      out[o++] = bits & 0xff;
      bits >>>= 8;
      nBits -= 8;
    }
    code = data[0] as number;
    outer: for (let i = 1; i < n; i++) {
      const literal = data[i] as number;
      const key = code * 256 + literal; // < 2^20
      let hash = ((key >>> 12) ^ key) & TABLE_MASK;
      for (let h = hash, t = table[hash] as number; t !== 0;) {
        if (key === t >>> 12) {
          code = t & MAX_CODE;
          continue outer;
        }
        h = (h + 1) & TABLE_MASK;
        t = table[h] as number;
      }
      if (o + 8 > out.length) out = grow(out, o);
      bits = (bits | (code << nBits)) >>> 0;
      nBits += width;
      while (nBits >= 8) {
        out[o++] = bits & 0xff;
        bits >>>= 8;
        nBits -= 8;
      }
      code = literal;
      // incHi
      hi++;
      if (hi === overflow) {
        width++;
        overflow <<= 1;
      }
      if (hi === MAX_CODE) {
        bits = (bits | (CLEAR << nBits)) >>> 0;
        nBits += width;
        while (nBits >= 8) {
          out[o++] = bits & 0xff;
          bits >>>= 8;
          nBits -= 8;
        }
        width = LIT_WIDTH + 1;
        hi = CLEAR + 1;
        overflow = CLEAR << 1;
        table.fill(0);
        continue;
      }
      for (;;) {
        if (table[hash] === 0) {
          table[hash] = ((key << 12) | hi) >>> 0;
          break;
        }
        hash = (hash + 1) & TABLE_MASK;
      }
    }
  }
  if (o + 16 > out.length) out = grow(out, o);
  const tail: number[] = [];
  const write = (c: number): void => {
    bits = (bits | (c << nBits)) >>> 0;
    nBits += width;
    while (nBits >= 8) {
      tail.push(bits & 0xff);
      bits >>>= 8;
      nBits -= 8;
    }
  };
  if (code !== INVALID_CODE) {
    write(code);
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      write(CLEAR);
      width = LIT_WIDTH + 1;
    }
  } else {
    write(CLEAR);
  }
  write(EOF_CODE);
  if (nBits > 0) tail.push(bits & 0xff);
  for (const b of tail) out[o++] = b;
  return out.slice(0, o);
}

function grow(buf: Uint8Array, used: number): Uint8Array {
  const next = new Uint8Array(buf.length * 2 + 16);
  next.set(buf.subarray(0, used));
  return next;
}

/**
 * Go's compress/lzw Reader with LSB order and litWidth 8. The input must end with the EOF code (bytes after
 * it are ignored, as Go does). DecodeError on an invalid code, a missing EOF, or output beyond `maxOutput`.
 */
export function lzwDecompress(data: Uint8Array, maxOutput: number = DEFAULT_MAX_DECOMPRESSED_BYTES): Uint8Array {
  if (!Number.isSafeInteger(maxOutput) || maxOutput < 0) {
    throw new InvalidArgumentError(`expected maxOutput to be a non-negative integer, got ${maxOutput}`);
  }
  let out: Uint8Array = new Uint8Array(Math.min(maxOutput, Math.max(64, data.length * 4)) + 16);
  let o = 0;
  const suffix = decSuffix;
  const prefix = decPrefix;
  const scratch = decScratch;
  suffix.fill(0);
  prefix.fill(0);
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
      if (o >= maxOutput) throw tooLarge(maxOutput);
      if (o === out.length) out = grow(out, o);
      out[o++] = code;
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
      return out.slice(0, o);
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
      const len = scratch.length - i;
      if (o + len > maxOutput) throw tooLarge(maxOutput);
      while (o + len > out.length) out = grow(out, o);
      for (let k = i; k < scratch.length; k++) out[o++] = scratch[k] as number;
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
