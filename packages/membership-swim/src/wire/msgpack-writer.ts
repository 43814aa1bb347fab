import { InvalidArgumentError } from "@cachecluster/core";
import { LIMITS, isEmpty, type FieldSpec, type StructSpec } from "./msgpack.js";

const textEncoder = new TextEncoder();

/** Growable output buffer writing Go's encodings. */
export class Writer {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;

  constructor(initial = 64) {
    this.#buf = new Uint8Array(initial);
    this.#view = new DataView(this.#buf.buffer);
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  nil(): void {
    this.byte(0xc0);
  }

  bool(v: boolean): void {
    this.byte(v ? 0xc3 : 0xc2);
  }

  /** Go encodeUint/encodeInt: the shortest form. */
  int(v: number): void {
    this.#ensure(9);
    const view = this.#view;
    if (v >= 0) {
      if (v <= 0x7f) this.#buf[this.#pos++] = v;
      else if (v <= 0xff) {
        this.#buf[this.#pos++] = 0xcc;
        this.#buf[this.#pos++] = v;
      } else if (v <= 0xffff) {
        this.#buf[this.#pos++] = 0xcd;
        view.setUint16(this.#pos, v);
        this.#pos += 2;
      } else if (v <= 0xffffffff) {
        this.#buf[this.#pos++] = 0xce;
        view.setUint32(this.#pos, v);
        this.#pos += 4;
      } else {
        this.#buf[this.#pos++] = 0xcf;
        view.setBigUint64(this.#pos, BigInt(v));
        this.#pos += 8;
      }
    } else if (v >= -32) {
      this.#buf[this.#pos++] = v & 0xff;
    } else if (v >= -128) {
      this.#buf[this.#pos++] = 0xd0;
      view.setInt8(this.#pos++, v);
    } else if (v >= -32768) {
      this.#buf[this.#pos++] = 0xd1;
      view.setInt16(this.#pos, v);
      this.#pos += 2;
    } else if (v >= -2147483648) {
      this.#buf[this.#pos++] = 0xd2;
      view.setInt32(this.#pos, v);
      this.#pos += 4;
    } else {
      this.#buf[this.#pos++] = 0xd3;
      view.setBigInt64(this.#pos, BigInt(v));
      this.#pos += 8;
    }
  }

  /** Raw (old-spec str) container: fixstr < 32, str16 < 65536, else str32. */
  raw(b: Uint8Array): void {
    this.#rawHeader(b.length);
    this.#ensure(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  #rawHeader(n: number): void {
    this.#ensure(5);
    if (n < 32) this.#buf[this.#pos++] = 0xa0 | n;
    else if (n < 65536) {
      this.#buf[this.#pos++] = 0xda;
      this.#view.setUint16(this.#pos, n);
      this.#pos += 2;
    } else {
      this.#buf[this.#pos++] = 0xdb;
      this.#view.setUint32(this.#pos, n);
      this.#pos += 4;
    }
  }

  /** A string as raw UTF-8 bytes; ASCII strings are written without an intermediate buffer. */
  string(v: string): void {
    const n = v.length;
    const start = this.#pos;
    this.#rawHeader(n);
    this.#ensure(n);
    const buf = this.#buf;
    let pos = this.#pos;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) {
        this.#pos = start;
        this.raw(textEncoder.encode(v));
        return;
      }
      buf[pos++] = c;
    }
    this.#pos = pos;
  }

  mapHeader(n: number): void {
    if (n < 16) this.byte(0x80 | n);
    else {
      this.byte(0xde);
      this.byte(n >> 8);
      this.byte(n & 0xff);
    }
  }

  /** Encodes `value` as the Go struct `spec` describes. */
  struct(spec: StructSpec, value: object): void {
    const v = value as Record<string, unknown>;
    let count = spec.fields.length;
    if (spec.hasOmitEmpty) {
      count = 0;
      for (const { spec: f } of spec.sorted) if (!(f.omitEmpty === true && isEmpty(f, v[f.name]))) count++;
    }
    this.mapHeader(count);
    for (const { spec: f, key } of spec.sorted) {
      const fv = v[f.name];
      if (f.omitEmpty === true && isEmpty(f, fv)) continue;
      this.bytes(key);
      this.#field(spec, f, fv);
    }
  }

  #field(spec: StructSpec, f: FieldSpec, fv: unknown): void {
    switch (f.kind) {
      case "bool":
        if (typeof fv !== "boolean" && fv !== undefined) throw bad(spec, f, "a boolean", fv);
        this.bool(fv === true);
        return;
      case "string":
        if (typeof fv !== "string" && fv !== undefined) throw bad(spec, f, "a string", fv);
        this.string(fv ?? "");
        return;
      case "bytes":
        if (fv === undefined || fv === null) return this.nil();
        if (!(fv instanceof Uint8Array)) throw bad(spec, f, "a Uint8Array", fv);
        // Go writes a nil slice as nil; memberlist's empty byte fields are nil slices.
        if (fv.length === 0) this.nil();
        else this.raw(fv);
        return;
      default: {
        const n = fv ?? 0;
        const max = LIMITS[f.kind];
        const ok = typeof n === "number" && Number.isSafeInteger(n) && (max === undefined || (n >= 0 && n <= max));
        if (!ok) throw bad(spec, f, f.kind === "int" ? "a safe integer" : `an integer from 0 to ${max}`, fv);
        this.int(n);
      }
    }
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }

  /** Start over, keeping the buffer (a writer reused for many short messages allocates only their copies). */
  reset(): void {
    this.#pos = 0;
  }

  get length(): number {
    return this.#pos;
  }
}

function bad(spec: StructSpec, f: FieldSpec, expected: string, got: unknown): InvalidArgumentError {
  const shown = got instanceof Uint8Array ? "Uint8Array" : typeof got === "string" ? JSON.stringify(got) : String(got);
  return new InvalidArgumentError(`expected ${spec.name}.${f.name} to be ${expected}, got ${shown}`);
}
