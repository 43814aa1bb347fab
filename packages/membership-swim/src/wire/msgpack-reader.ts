import { DecodeError } from "@cachecluster/core";
import { LIMITS, Truncated, isEmpty, type Field, type FieldKind, type StructSpec } from "./msgpack.js";

const textDecoder = new TextDecoder("utf-8", { fatal: false });
const MAX_DEPTH = 32;

/** Cursor over msgpack input. */
export class Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;

  constructor(buf: Uint8Array, pos = 0) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
  }

  #need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new Truncated(what, this.pos + n);
  }

  #u8(what: string): number {
    this.#need(1, what);
    return this.buf[this.pos++] as number;
  }

  #u16(what: string): number {
    this.#need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  #u32(what: string): number {
    this.#need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  #take(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads an integer of any msgpack integer form (Go decodeInt/decodeUint); `null` for nil. */
  int(what: string): number | null {
    const bd = this.#u8(what);
    if (bd <= 0x7f) return bd;
    if (bd >= 0xe0) return bd - 0x100;
    switch (bd) {
      case 0xc0:
        return null;
      case 0xcc:
        return this.#u8(what);
      case 0xcd:
        return this.#u16(what);
      case 0xce:
        return this.#u32(what);
      case 0xcf: {
        this.#need(8, what);
        const v = this.view.getBigUint64(this.pos);
        this.pos += 8;
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`${what}: integer ${v} is out of range`);
        return Number(v);
      }
      case 0xd0:
        this.#need(1, what);
        return this.view.getInt8(this.pos++);
      case 0xd1: {
        this.#need(2, what);
        const v = this.view.getInt16(this.pos);
        this.pos += 2;
        return v;
      }
      case 0xd2: {
        this.#need(4, what);
        const v = this.view.getInt32(this.pos);
        this.pos += 4;
        return v;
      }
      case 0xd3: {
        this.#need(8, what);
        const v = this.view.getBigInt64(this.pos);
        this.pos += 8;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new DecodeError(`${what}: integer ${v} is out of range`);
        }
        return Number(v);
      }
      default:
        throw new DecodeError(`${what}: expected an integer, got msgpack byte 0x${hex(bd)}`);
    }
  }

  /** Length of a str (or, with `bin`, bin) container; -1 for nil. */
  #rawLength(what: string, bin: boolean): number {
    const bd = this.#u8(what);
    if (bd >= 0xa0 && bd <= 0xbf) return bd & 0x1f;
    switch (bd) {
      case 0xc0:
        return -1;
      case 0xd9:
        return this.#u8(what);
      case 0xda:
        return this.#u16(what);
      case 0xdb:
        return this.#u32(what);
    }
    if (bin) {
      if (bd === 0xc4) return this.#u8(what);
      if (bd === 0xc5) return this.#u16(what);
      if (bd === 0xc6) return this.#u32(what);
    }
    throw new DecodeError(`${what}: expected ${bin ? "bytes" : "a string"}, got msgpack byte 0x${hex(bd)}`);
  }

  /** Raw bytes from str or bin (Go decodeBytes); empty for nil. A view into the input. */
  bytes(what: string): Uint8Array {
    const n = this.#rawLength(what, true);
    if (n <= 0) return new Uint8Array(0);
    return this.#take(n, what);
  }

  /** A Go []byte field: str, bin or nil as bytes, or an array of small integers (Go accepts that too). A copy. */
  byteSlice(what: string): Uint8Array {
    const bd = this.buf[this.pos];
    const isArray = bd !== undefined && ((bd >= 0x90 && bd <= 0x9f) || bd === 0xdc || bd === 0xdd);
    if (!isArray) return this.bytes(what).slice();
    const header = this.container(what);
    const n = header?.length ?? 0;
    if (n > this.buf.length - this.pos) throw new Truncated(what, this.pos + n);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = this.int(what) ?? 0;
      if (v < 0 || v > 0xff) throw new DecodeError(`${what}: ${v} does not fit a uint8`);
      out[i] = v;
    }
    return out;
  }

  /** A string from str (Go decodeString); "" for nil. Invalid UTF-8 is replaced, as Go strings may hold any bytes. */
  string(what: string): string {
    const n = this.#rawLength(what, false);
    if (n <= 0) return "";
    const bytes = this.#take(n, what);
    if (n <= 64) {
      let ascii = "";
      let i = 0;
      for (; i < n; i++) {
        const c = bytes[i] as number;
        if (c >= 0x80) break;
        ascii += String.fromCharCode(c);
      }
      if (i === n) return ascii;
    }
    return textDecoder.decode(bytes);
  }

  bool(what: string): boolean {
    const bd = this.#u8(what);
    if (bd === 0xc2 || bd === 0x00 || bd === 0xc0) return false;
    if (bd === 0xc3 || bd === 0x01) return true;
    throw new DecodeError(`${what}: expected a boolean, got msgpack byte 0x${hex(bd)}`);
  }

  /** Map or array header: `{ map, length }`, or null for nil. */
  container(what: string): { map: boolean; length: number } | null {
    const bd = this.#u8(what);
    if (bd >= 0x80 && bd <= 0x8f) return { map: true, length: bd & 0x0f };
    if (bd >= 0x90 && bd <= 0x9f) return { map: false, length: bd & 0x0f };
    switch (bd) {
      case 0xc0:
        return null;
      case 0xde:
        return { map: true, length: this.#u16(what) };
      case 0xdf:
        return { map: true, length: this.#u32(what) };
      case 0xdc:
        return { map: false, length: this.#u16(what) };
      case 0xdd:
        return { map: false, length: this.#u32(what) };
      default:
        throw new DecodeError(`${what}: expected a map or an array, got msgpack byte 0x${hex(bd)}`);
    }
  }

  /** Skips one value of any type (an unknown struct field). */
  skip(what: string, depth = 0): void {
    if (depth > MAX_DEPTH) throw new DecodeError(`${what}: values nested deeper than ${MAX_DEPTH}`);
    const bd = this.#u8(what);
    if (bd <= 0x7f || bd >= 0xe0) return;
    if (bd >= 0x80 && bd <= 0x9f) return this.#skipItems(what, bd <= 0x8f ? 2 * (bd & 0x0f) : bd & 0x0f, depth);
    if (bd >= 0xa0 && bd <= 0xbf) return void this.#take(bd & 0x1f, what);
    switch (bd) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        return;
      case 0xcc:
      case 0xd0:
        return void this.#take(1, what);
      case 0xcd:
      case 0xd1:
        return void this.#take(2, what);
      case 0xce:
      case 0xd2:
      case 0xca:
        return void this.#take(4, what);
      case 0xcf:
      case 0xd3:
      case 0xcb:
        return void this.#take(8, what);
      case 0xc4:
      case 0xd9:
        return void this.#take(this.#u8(what), what);
      case 0xc5:
      case 0xda:
        return void this.#take(this.#u16(what), what);
      case 0xc6:
      case 0xdb:
        return void this.#take(this.#u32(what), what);
      case 0xd4:
        return void this.#take(2, what);
      case 0xd5:
        return void this.#take(3, what);
      case 0xd6:
        return void this.#take(5, what);
      case 0xd7:
        return void this.#take(9, what);
      case 0xd8:
        return void this.#take(17, what);
      case 0xc7:
        return void this.#take(this.#u8(what) + 1, what);
      case 0xc8:
        return void this.#take(this.#u16(what) + 1, what);
      case 0xc9:
        return void this.#take(this.#u32(what) + 1, what);
      case 0xdc:
        return this.#skipItems(what, this.#u16(what), depth);
      case 0xdd:
        return this.#skipItems(what, this.#u32(what), depth);
      case 0xde:
        return this.#skipItems(what, 2 * this.#u16(what), depth);
      case 0xdf:
        return this.#skipItems(what, 2 * this.#u32(what), depth);
      default:
        throw new DecodeError(`${what}: invalid msgpack byte 0x${hex(bd)}`);
    }
  }

  #skipItems(what: string, n: number, depth: number): void {
    // Every item takes at least one byte, so a count beyond the input is truncation, found without looping.
    if (n > this.buf.length - this.pos) throw new Truncated(what, this.pos + n);
    for (let i = 0; i < n; i++) this.skip(what, depth + 1);
  }

  /** Decodes a Go struct from a map (or array, fields in declaration order), Go's zero values for the rest. */
  struct<T>(spec: StructSpec): T {
    const out: Record<string, unknown> = {};
    this.#structFields(spec, out);
    // Go's zero values for the fields the input did not set.
    for (const f of spec.fields) if (f.omitEmpty !== true && out[f.name] === undefined) out[f.name] = zero(f.kind);
    return out as T;
  }

  #structFields(spec: StructSpec, out: Record<string, unknown>): void {
    const header = this.container(spec.name);
    if (header === null) return;
    if (header.length > this.buf.length - this.pos) throw new Truncated(spec.name, this.pos + header.length);
    if (header.map) {
      for (let i = 0; i < header.length; i++) {
        // Fast path: a fixstr key naming a field, compared as bytes.
        const bd = this.buf[this.pos];
        if (bd !== undefined && bd >= 0xa0 && bd <= 0xbf) {
          const n = bd & 0x1f;
          if (this.pos + 1 + n <= this.buf.length) {
            const f = spec.fieldAt(this.buf, this.pos + 1, n);
            if (f !== undefined) {
              this.pos += 1 + n;
              this.#readField(spec, f, out);
              continue;
            }
          }
        }
        const key = this.string(spec.keyLabel);
        const f = spec.byName.get(key);
        if (f === undefined) this.skip(`${spec.name}.${key}`);
        else this.#readField(spec, f, out);
      }
    } else {
      for (let i = 0; i < header.length; i++) {
        const f = spec.fields[i];
        if (f === undefined) this.skip(`${spec.name}[${i}]`);
        else this.#readField(spec, f, out);
      }
    }
  }

  #readField(spec: StructSpec, f: Field, out: Record<string, unknown>): void {
    const what = f.label;
    let v: unknown;
    switch (f.kind) {
      case "bool":
        v = this.bool(what);
        break;
      case "string":
        v = this.string(what);
        break;
      case "bytes":
        v = this.byteSlice(what);
        break;
      default: {
        const n = this.int(what) ?? 0;
        const max = LIMITS[f.kind];
        if (max !== undefined && (n < 0 || n > max)) throw new DecodeError(`${what}: ${n} does not fit a ${f.kind}`);
        v = n;
      }
    }
    if (f.omitEmpty === true && isEmpty(f, v)) delete out[f.name];
    else out[f.name] = v;
  }
}

function zero(kind: FieldKind): unknown {
  switch (kind) {
    case "bool":
      return false;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    default:
      return 0;
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
