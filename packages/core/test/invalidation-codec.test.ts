import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DecodeError } from "../src/errors.js";
import { decodeMessage, encodeGroup, encodeKey, encodeMessage, messageSize } from "../src/engine/invalidation-codec.js";

const origin = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const encode = (group: string, keys: readonly string[], sequence = 300) => encodeMessage(encodeGroup(group, origin, sequence), keys.map(encodeKey));
const wellFormed = fc.string({ unit: "grapheme", maxLength: 300 });

describe("invalidation message format", () => {
  it("decodes what it encodes: origin, sequence number, the group and every key, in order, for any well-formed names", () => {
    fc.assert(
      fc.property(
        wellFormed.filter((g) => g.length > 0),
        fc.array(wellFormed, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 28 - 1 }),
        (group, keys, sequence) => {
          const bytes = encode(group, keys, sequence);
          const keyBytes = keys.map(encodeKey).reduce((n, k) => n + k.length, 0);
          assert.equal(bytes.length, messageSize(encodeGroup(group, origin, sequence), keys.length, keyBytes));
          assert.deepEqual(decodeMessage(bytes), { kind: "invalidate", id: `0102030405060708:${sequence}`, origin: "0102030405060708", group, keys });
        },
      ),
    );
  });

  it("is 0xFF 'c' 'c', version 1, type 1, origin, sequence number, then length-prefixed group, key count and keys", () => {
    assert.deepEqual([...encode("g", ["ab", "c"], 5)], [0xff, 0x63, 0x63, 1, 1, ...origin, 5, 1, 0x67, 2, 2, 0x61, 0x62, 1, 0x63]);
    // A sequence number of 300 and a 200-byte key take 2-byte varints.
    const long = encode("g", ["k".repeat(200)], 300);
    assert.deepEqual([...long.subarray(13, 15)], [0xac, 0x02]);
    assert.deepEqual([...long.subarray(17, 20)], [1, 0xc8, 0x01]);
  });

  it("leaves an application's own user messages alone: anything without the prefix is foreign", () => {
    for (const text of ["", "hello", '{"op":"x"}', "\u00ffcc"]) assert.deepEqual(decodeMessage(new TextEncoder().encode(text)), { kind: "foreign" });
    assert.deepEqual(decodeMessage(Uint8Array.of(0xff, 0x63)), { kind: "foreign" });
  });

  it("reports a newer format version or message type as unsupported instead of misreading it", () => {
    assert.deepEqual(decodeMessage(Uint8Array.of(0xff, 0x63, 0x63, 2, 1, 9, 9, 9)), { kind: "unsupported", version: 2, type: 1 });
    assert.deepEqual(decodeMessage(Uint8Array.of(0xff, 0x63, 0x63, 1, 7)), { kind: "unsupported", version: 1, type: 7 });
  });

  it("throws a DecodeError, never anything else, for every truncation and every corrupted byte of a message", () => {
    const bytes = encode("group", ["key-1", "ключ", "🔑"]);
    for (let n = 3; n < bytes.length; n++) assert.throws(() => decodeMessage(bytes.subarray(0, n)), DecodeError, `truncated to ${n}`);
    for (let i = 13; i < bytes.length; i++)
      for (const b of [0x00, 0x7f, 0x80, 0xff]) {
        const copy = bytes.slice();
        copy[i] = b;
        try {
          decodeMessage(copy);
        } catch (error) {
          assert.ok(error instanceof DecodeError, `byte ${i} = ${b}: ${String(error)}`);
        }
      }
  });

  it("rejects an empty group, zero keys, trailing bytes, invalid UTF-8 and a key count larger than the message", () => {
    const header = [0xff, 0x63, 0x63, 1, 1, ...origin, 0];
    const cases: [string, number[]][] = [
      ["empty group", [...header, 0, 1, 1, 0x61]],
      ["no keys", [...header, 1, 0x67, 0]],
      ["trailing byte", [...header, 1, 0x67, 1, 1, 0x61, 0]],
      ["invalid UTF-8 key", [...header, 1, 0x67, 1, 1, 0xc3]],
      ["huge key count", [...header, 1, 0x67, 0xff, 0xff, 0xff, 0x7f]],
      ["5-byte varint", [...header, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ];
    for (const [name, bytes] of cases) assert.throws(() => decodeMessage(Uint8Array.from(bytes)), { code: "CACHECLUSTER_DECODE_FAILED" }, name);
  });

  it("never throws anything but a DecodeError for random bytes after the prefix", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        try {
          decodeMessage(Uint8Array.from([0xff, 0x63, 0x63, 1, 1, ...origin, ...tail]));
        } catch (error) {
          assert.ok(error instanceof DecodeError);
        }
      }),
    );
  });
});
