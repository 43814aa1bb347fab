import { DecodeError } from "@cachecluster/core";
import { type DecodedGetResponse, decodeGetResponse, encodeGetResponse } from "./get-response.js";

/**
 * The batch route's messages (between cachecluster nodes only; golang/groupcache has no batch route), protobuf
 * encoded by hand like `GetResponse`:
 *
 * - request body: `GetManyRequest { repeated string keys = 1; }`, keys as UTF-8, at most `maxKeys` of them;
 * - response body: one field per key, in the order asked, each the key's result:
 *   `1` a `GetResponse` (the value, and `expire` when it has one), `2` the error text of the owner's loader,
 *   `3` the size of a value the owner left out to keep the response within its byte limit (fetch that key alone).
 *
 * The decoders accept nothing else: any other field, wire type, count or truncation is a `DecodeError`.
 */

export type BatchEntry =
  | { readonly kind: "value"; readonly value: Uint8Array; readonly expire?: number | undefined }
  | { readonly kind: "error"; readonly text: string }
  | { readonly kind: "omitted"; readonly size: number };

export type DecodedBatchEntry = { readonly kind: "value"; readonly response: DecodedGetResponse } | Exclude<BatchEntry, { kind: "value" }>;

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const text = new TextDecoder();

/**
 * The batch route's path for `basePath`: next to it, outside it (`/_groupcache/` → `/_groupcache_batch/`), so
 * that golang/groupcache, which has no batch route, answers it 404 from its ServeMux instead of reading
 * `_batch` as a group name.
 */
export function batchPathOf(basePath: string): string {
  return basePath === "/" ? "/_batch/" : `${basePath.slice(0, -1)}_batch/`;
}

/** Every reply of the batch route carries this header, so a client tells "no batch route here" from the route's own 404. */
export const BATCH_HEADER = "cachecluster-batch";

/** More keys than the limit: the request is refused as a whole (413), before any key is looked up. */
export class TooManyKeysError extends Error {
  constructor(limit: number) {
    super(`too many keys: more than ${limit} in one batch`);
  }
}

export function encodeGetManyRequest(keys: readonly string[]): Uint8Array {
  const parts = keys.map((key) => encoder.encode(key));
  return concatFields(parts.map((bytes) => [1, bytes] as const));
}

/** The keys of a request body; throws `TooManyKeysError` past `maxKeys`, `DecodeError` on anything malformed. */
export function decodeGetManyRequest(bytes: Uint8Array, maxKeys: number): string[] {
  const keys: string[] = [];
  const reader = new Reader(bytes, "GetManyRequest");
  while (!reader.done) {
    const field = reader.field();
    if (field !== 1 || reader.wire !== 2) throw reader.error(`unexpected field ${field} (wire type ${reader.wire})`);
    if (keys.length === maxKeys) throw new TooManyKeysError(maxKeys);
    const raw = reader.bytes();
    try {
      keys.push(utf8.decode(raw));
    } catch {
      throw reader.error(`key ${keys.length} is not valid UTF-8`);
    }
  }
  return keys;
}

/** Encodes the results in order; `encodeGetResponse` gives each value's bytes. */
export function encodeGetManyResponse(entries: readonly BatchEntry[]): Uint8Array {
  return concatFields(
    entries.map((entry) =>
      entry.kind === "value"
        ? ([1, encodeGetResponse(entry.value, entry.expire)] as const)
        : entry.kind === "error"
          ? ([2, encoder.encode(entry.text)] as const)
          : ([3, entry.size] as const),
    ),
  );
}

/** The `count` results of a response body (values are views into `bytes`); `DecodeError` on anything else. */
export function decodeGetManyResponse(bytes: Uint8Array, count: number): DecodedBatchEntry[] {
  const entries: DecodedBatchEntry[] = [];
  const reader = new Reader(bytes, "GetManyResponse");
  while (!reader.done) {
    const field = reader.field();
    if (entries.length === count) throw reader.error(`more than the ${count} results asked for`);
    if (field === 1 && reader.wire === 2) entries.push({ kind: "value", response: decodeGetResponse(reader.bytes()) });
    else if (field === 2 && reader.wire === 2) entries.push({ kind: "error", text: text.decode(reader.bytes()) });
    else if (field === 3 && reader.wire === 0) entries.push({ kind: "omitted", size: reader.varint() });
    else throw reader.error(`unexpected field ${field} (wire type ${reader.wire})`);
  }
  if (entries.length !== count) throw reader.error(`${entries.length} results for ${count} keys`);
  return entries;
}

type Field = readonly [number, Uint8Array] | readonly [number, number];

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 128) {
    out[at++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

/** Length-delimited fields (bytes) and varint fields (numbers < 2^53), in order, in one buffer. */
function concatFields(fields: readonly Field[]): Uint8Array {
  let size = 0;
  for (const [number, payload] of fields) {
    size += varintSize(number << 3);
    size += typeof payload === "number" ? varintSize(payload) : varintSize(payload.length) + payload.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [number, payload] of fields) {
    if (typeof payload === "number") {
      at = writeVarint(out, at, number << 3);
      at = writeVarint(out, at, payload);
    } else {
      at = writeVarint(out, at, (number << 3) | 2);
      at = writeVarint(out, at, payload.length);
      out.set(payload, at);
      at += payload.length;
    }
  }
  return out;
}

/** Reads tags, varints (< 2^53) and length-delimited payloads, with a DecodeError naming the message and offset. */
class Reader {
  readonly #bytes: Uint8Array;
  readonly #message: string;
  #at = 0;
  wire = 0;

  constructor(bytes: Uint8Array, message: string) {
    this.#bytes = bytes;
    this.#message = message;
  }

  get done(): boolean {
    return this.#at >= this.#bytes.length;
  }

  error(what: string): DecodeError {
    return new DecodeError(`expected a protobuf ${this.#message}, got ${this.#bytes.length} bytes with ${what} at offset ${this.#at}`);
  }

  /** The next tag's field number (its wire type in `wire`). */
  field(): number {
    const tag = this.varint();
    if (tag > 0xffffffff) throw this.error("a tag too large");
    this.wire = tag % 8;
    const field = Math.floor(tag / 8);
    if (field === 0) throw this.error("field number 0");
    return field;
  }

  varint(): number {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.#at >= this.#bytes.length) throw this.error("a truncated varint");
      if (shift > 49) throw this.error("a varint too large");
      const b = this.#bytes[this.#at++] as number;
      n += (b & 127) * 2 ** shift;
      if (b < 128) return n;
    }
  }

  bytes(): Uint8Array {
    const length = this.varint();
    if (length > this.#bytes.length - this.#at) throw this.error(`a length of ${length} past the end`);
    const start = this.#at;
    this.#at += length;
    return this.#bytes.subarray(start, this.#at);
  }
}
