import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { KeyCodec, decodeKey } from "../src/cache/key-codec.js";

const anyKey = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }));

describe("KeyCodec", () => {
  it("writes a key's UTF-8 bytes, knows their length, and reads them back", () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const codec = new KeyCodec();
        codec.load(key);
        const utf8 = Buffer.from(key, "utf8");
        assert.equal(codec.length, utf8.length);
        const out = new Uint8Array(utf8.length + 4);
        codec.write(out, 2);
        assert.deepEqual(out.subarray(2, 2 + utf8.length), new Uint8Array(utf8));
        assert.equal(decodeKey(out, 2, utf8.length), utf8.toString("utf8"));
      }),
    );
  });

  it("two keys hash alike and compare equal exactly when their UTF-8 bytes are equal", () => {
    fc.assert(
      fc.property(anyKey, anyKey, (a, b) => {
        const codec = new KeyCodec();
        const stored = new Uint8Array(Buffer.from(b, "utf8"));
        const hb = codec.load(b);
        const ha = codec.load(a);
        const same = Buffer.from(a, "utf8").equals(stored);
        assert.equal(codec.equals(stored, 0, stored.length), same);
        if (same) assert.equal(ha, hb);
      }),
    );
  });

  it("reads a lone surrogate as U+FFFD, as UTF-8 does, so such keys are the same key", () => {
    const codec = new KeyCodec();
    const replacement = codec.load("a\ufffd");
    assert.equal(codec.load("a\ud800"), replacement);
    assert.ok(codec.equals(new Uint8Array(Buffer.from("a\ufffd")), 0, 4));
  });

  it("spreads similar keys over the low bits (the index buckets)", () => {
    const codec = new KeyCodec();
    const buckets = new Set<number>();
    for (let i = 0; i < 1024; i++) buckets.add(codec.load(`user/${i}/avatar.png`) & 1023);
    // 1,024 keys into 1,024 buckets at random fill about 1 - 1/e of them.
    assert.ok(buckets.size > 600, `${buckets.size} buckets used`);
  });
});
