import { DecodeError } from "@cachecluster/core";

/**
 * The subset of msgpack that hashicorp/go-msgpack writes with memberlist's `codec.MsgpackHandle{}` (old spec,
 * WriteExt false): strings and []byte both as raw (fixstr < 32 bytes, else str16, else str32 — never str8
 * or bin), integers in their shortest form, structs as maps whose keys are the field names sorted by name,
 * `omitempty` fields left out when zero, nil slices as nil. Reading accepts every msgpack form Go accepts
 * for the field's type, skips unknown keys, and throws DecodeError (or `Truncated` at the end of input).
 */

/** Thrown when the input ends inside a value: the caller may wait for more bytes (streams). */
export class Truncated extends DecodeError {
  /** The input must hold at least this many bytes (from its start) before reading can get further. */
  readonly needed: number;
  constructor(what: string, needed: number) {
    super(`truncated msgpack: input ends inside ${what}`);
    this.name = "DecodeError";
    this.needed = needed;
  }
}

const textEncoder = new TextEncoder();

export type FieldKind = "uint8" | "uint16" | "uint32" | "int" | "bool" | "string" | "bytes";

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  readonly omitEmpty?: boolean;
}

/** A field with its "struct.Field" label for error messages, built once. */
export interface Field extends FieldSpec {
  readonly label: string;
}

/** A Go struct: fields in declaration order (array form), encoded as a map with sorted keys. */
export class StructSpec {
  readonly name: string;
  readonly fields: readonly Field[];
  readonly sorted: readonly { spec: Field; key: Uint8Array }[];
  readonly byName: ReadonlyMap<string, Field>;
  readonly hasOmitEmpty: boolean;
  readonly keyLabel: string;
  /** UTF-8 bytes of each field name, aligned with `fields`, to match map keys without decoding them. */
  readonly nameBytes: readonly Uint8Array[];

  constructor(name: string, specs: readonly FieldSpec[]) {
    const fields: Field[] = specs.map((f) => ({ ...f, label: `${name}.${f.name}` }));
    this.name = name;
    this.fields = fields;
    this.sorted = [...fields]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((spec) => ({ spec, key: rawKey(textEncoder.encode(spec.name)) }));
    this.byName = new Map(fields.map((f) => [f.name, f]));
    this.hasOmitEmpty = fields.some((f) => f.omitEmpty === true);
    this.keyLabel = `${name} key`;
    this.nameBytes = fields.map((f) => textEncoder.encode(f.name));
  }

  /** The field whose name is `buf[start, start + length)`, if any. */
  fieldAt(buf: Uint8Array, start: number, length: number): Field | undefined {
    const names = this.nameBytes;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as Uint8Array;
      if (name.length !== length) continue;
      let k = 0;
      while (k < length && buf[start + k] === name[k]) k++;
      if (k === length) return this.fields[i];
    }
    return undefined;
  }
}

/** A map key as go-msgpack writes it: a raw (str) header, then the bytes. */
function rawKey(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  const header = n < 32 ? [0xa0 | n] : n < 65536 ? [0xda, n >> 8, n & 0xff] : [0xdb, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return Uint8Array.from([...header, ...bytes]);
}

/** Largest value of each unsigned Go field kind. */
export const LIMITS: Record<string, number> = { uint8: 0xff, uint16: 0xffff, uint32: 0xffffffff };

/** Whether a field holds its Go zero value (what `omitempty` leaves out). */
export function isEmpty(f: FieldSpec, v: unknown): boolean {
  switch (f.kind) {
    case "bool":
      return v !== true;
    case "string":
      return v === undefined || v === "";
    case "bytes":
      return v === undefined || (v instanceof Uint8Array && v.length === 0);
    default:
      return v === undefined || v === 0;
  }
}
