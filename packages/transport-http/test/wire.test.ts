import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import protobuf from "protobufjs/light.js";
import { parsePeerPath } from "../src/server/peer-path.js";
import { escapeSegment, queryEscape, unescapeSegment } from "../src/wire/escape.js";
import { decodeGetResponse, encodeGetResponse, msToNanos, nanosToMs } from "../src/wire/get-response.js";
import { decodeSetRequest, encodeSetRequest } from "../src/wire/messages.js";
import { FrameReader, KIND_GET, decodeRequest, encodeGetRequest, encodeGetRequests } from "../src/wire/stream-frames.js";

describe("path escaping", () => {
  it("queryEscape matches Go's url.QueryEscape on reference vectors", () => {
    // Expected strings are what Go 1.19's url.QueryEscape returns for the inputs.
    const vectors: [string, string][] = [
      ["", ""],
      ["abcXYZ019-_.~", "abcXYZ019-_.~"],
      ["a b", "a+b"],
      ["a+b", "a%2Bb"],
      ["a/b?c=d&e#f", "a%2Fb%3Fc%3Dd%26e%23f"],
      ["!*'()", "%21%2A%27%28%29"],
      ["$,;:@[]", "%24%2C%3B%3A%40%5B%5D"],
      ["100%", "100%25"],
      ["ü", "%C3%BC"],
      ["😀", "%F0%9F%98%80"],
      ["\u0000\n", "%00%0A"],
    ];
    for (const [input, expected] of vectors) assert.equal(queryEscape(input), expected, JSON.stringify(input));
  });

  it("escapeSegment is QueryEscape except that a space is %20", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), (s) => escapeSegment(s).replaceAll("%20", "+") === queryEscape(s)));
    assert.equal(escapeSegment("a b"), "a%20b");
  });

  it("unescapeSegment inverts both escapeSegment and Go's QueryEscape for every well-formed string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => unescapeSegment(escapeSegment(s)) === s && unescapeSegment(queryEscape(s)) === s),
      { numRuns: 2000 },
    );
  });

  it("unescapeSegment never throws; malformed escapes and bad UTF-8 are undefined", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = unescapeSegment(s);
        return out === undefined || typeof out === "string";
      }),
      { numRuns: 2000 },
    );
    for (const bad of ["%", "%z1", "%1", "a%g0", "%ff", "%c3", "%ed%a0%80"]) assert.equal(unescapeSegment(bad), undefined, bad);
  });

  it("parsePeerPath splits once after the base path and tolerates absolute-form targets", () => {
    assert.deepEqual(parsePeerPath("/_groupcache/g/a/b", "/_groupcache/"), { ok: true, group: "g", key: "a/b" });
    assert.deepEqual(parsePeerPath("/_groupcache/g%2Fh/k", "/_groupcache/"), { ok: true, group: "g/h", key: "k" });
    assert.deepEqual(parsePeerPath("http://h:1/_groupcache/g/k?x", "/_groupcache/"), { ok: true, group: "g", key: "k" });
    assert.deepEqual(parsePeerPath("/_groupcache/g", "/_groupcache/"), { ok: false, reason: "bad-request" });
    assert.deepEqual(parsePeerPath("/other/g/k", "/_groupcache/"), { ok: false, reason: "not-peer-path" });
    fc.assert(fc.property(fc.string(), (s) => typeof parsePeerPath(s, "/_groupcache/").ok === "boolean"));
  });
});

describe("protobuf messages", () => {
  it("a GetResponse encodes as golang/groupcache's: field 1 bytes (and nothing else without expiry)", () => {
    assert.deepEqual([...encodeGetResponse(new TextEncoder().encode("hi"))], [0x0a, 0x02, 0x68, 0x69]);
    assert.deepEqual([...decodeGetResponse(new Uint8Array([0x0a, 0x02, 0x68, 0x69])).value], [0x68, 0x69]);
    // Go omits field 1 for a nil value: decodes as empty.
    assert.equal(decodeGetResponse(new Uint8Array(0)).value.length, 0);
    // minute_qps (field 2, double) is read where a peer sends it.
    assert.equal(decodeGetResponse(new Uint8Array([0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f])).minuteQps, 1);
  });

  it("expiry round-trips as int64 nanoseconds (field 3) for any ms time, and 0 (mailgun's 'none') reads as absent", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9_000_000_000_000 }), fc.uint8Array({ maxLength: 64 }), (ms, value) => {
        const got = decodeGetResponse(encodeGetResponse(value, ms));
        return got.expire === ms && Buffer.from(got.value).equals(Buffer.from(value));
      }),
    );
    assert.equal(nanosToMs({ low: 0, high: 0 }), undefined);
    assert.equal(nanosToMs(0), undefined);
    const ns = msToNanos(1_700_000_000_123);
    assert.equal((BigInt(ns.high) << 32n) | BigInt(ns.low >>> 0), 1_700_000_000_123_000_000n);
    // mailgun/groupcache always writes expire, 0 when none: [value "v", expire 0].
    assert.equal(decodeGetResponse(new Uint8Array([0x0a, 0x01, 0x76, 0x18, 0x00])).expire, undefined);
  });

  it("a SetRequest round-trips (mailgun's message: group 1, key 2, value 3, expire 4) and rejects missing required fields", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.uint8Array({ maxLength: 64 }),
        fc.option(fc.integer({ min: 1, max: 9_000_000_000_000 }), { nil: undefined }),
        (g, k, v, e) => {
          const got = decodeSetRequest(encodeSetRequest(g, k, v, e));
          return got.group === g && got.key === k && Buffer.from(got.value).equals(Buffer.from(v)) && got.expire === e;
        },
      ),
    );
    assert.throws(() => decodeSetRequest(new Uint8Array([0x1a, 0x01, 0x41])), { code: "CACHECLUSTER_DECODE_FAILED" });
  });

  it("decoding arbitrary bytes either succeeds or throws a DecodeError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of [decodeGetResponse, decodeSetRequest]) {
          try {
            decode(bytes);
          } catch (error) {
            if ((error as { code?: string }).code !== "CACHECLUSTER_DECODE_FAILED") return false;
          }
        }
        return true;
      }),
      { numRuns: 5000 },
    );
  });

  describe("the hand-written GetResponse codec agrees with protobufjs", () => {
    const reference = protobuf.Root.fromJSON({
      nested: { GetResponse: { fields: { value: { type: "bytes", id: 1 }, minute_qps: { type: "double", id: 2 }, expire: { type: "int64", id: 3 } } } },
    }).lookupType("GetResponse");
    const expireMs = fc.option(fc.integer({ min: -9_000_000_000_000, max: 9_000_000_000_000 }), { nil: undefined });

    it("encodeGetResponse writes protobufjs's bytes for every value and expiry (negative ones too)", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), expireMs, (value, ms) => {
          const message: Record<string, unknown> = { value };
          if (ms !== undefined) message.expire = msToNanos(ms);
          return Buffer.from(encodeGetResponse(value, ms)).equals(Buffer.from(reference.encode(message).finish()));
        }),
        { numRuns: 2000 },
      );
      assert.equal(encodeGetResponse(new Uint8Array(20_000)).length, 20_004);
    });

    it("decodeGetResponse reads what protobufjs writes, unknown fields (any wire type) and repeats included", () => {
      const unknown = fc.oneof(
        fc.record({ field: fc.integer({ min: 4, max: 1000 }), wire: fc.constant(0), payload: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
        fc.record({ field: fc.integer({ min: 4, max: 1000 }), wire: fc.constantFrom(1, 5), payload: fc.constant(0n) }),
        fc.record({ field: fc.integer({ min: 4, max: 1000 }), wire: fc.constant(2), payload: fc.bigInt({ min: 0n, max: 200n }) }),
      );
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              value: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
              qps: fc.option(fc.double(), { nil: undefined }),
              ms: expireMs,
            }),
            { minLength: 1, maxLength: 3 },
          ),
          fc.array(unknown, { maxLength: 4 }),
          (parts, extras) => {
            // Concatenated messages merge field by field (last one wins), as protobuf defines.
            const w = protobuf.Writer.create();
            for (const part of parts) {
              const message: Record<string, unknown> = {};
              if (part.value !== undefined) message.value = part.value;
              if (part.qps !== undefined) message.minute_qps = part.qps;
              if (part.ms !== undefined) message.expire = msToNanos(part.ms);
              reference.encodeDelimited(message, w);
            }
            const delimited = w.finish();
            // Strip the length prefixes to get the concatenation, then append the unknown fields.
            const r = protobuf.Reader.create(delimited);
            const chunks: Uint8Array[] = [];
            while (r.pos < r.len) chunks.push(r.bytes());
            const u: number[] = [];
            const varint = (n: bigint): void => {
              for (; n > 127n; n >>= 7n) u.push(Number(n & 127n) | 128);
              u.push(Number(n));
            };
            for (const x of extras) {
              varint(BigInt((x.field << 3) | x.wire));
              if (x.wire === 0) varint(x.payload);
              else if (x.wire === 1) u.push(...new Uint8Array(8));
              else if (x.wire === 5) u.push(...new Uint8Array(4));
              else {
                varint(x.payload);
                u.push(...new Uint8Array(Number(x.payload)));
              }
            }
            const bytes = Buffer.concat([...chunks, Uint8Array.from(u)]);
            const got = decodeGetResponse(bytes);
            const ref = reference.decode(bytes) as { value?: Uint8Array; minute_qps?: number; expire?: number | { low: number; high: number } };
            const refExpire = Object.prototype.hasOwnProperty.call(ref, "expire") ? nanosToMs(ref.expire) : undefined;
            const refQps = Object.prototype.hasOwnProperty.call(ref, "minute_qps") ? ref.minute_qps : undefined;
            const refValue = Object.prototype.hasOwnProperty.call(ref, "value") && ref.value !== undefined ? ref.value : new Uint8Array(0);
            assert.deepEqual(Buffer.from(got.value), Buffer.from(refValue));
            assert.equal(got.minuteQps, refQps);
            // protobufjs reads int64 as a lossy double without the long package: compare the exact expiry we wrote.
            const lastMs = parts.findLast((p) => p.ms !== undefined)?.ms;
            assert.equal(got.expire, lastMs !== undefined && lastMs > 0 ? lastMs : undefined);
            assert.equal(refExpire === undefined, got.expire === undefined);
            return true;
          },
        ),
        { numRuns: 2000 },
      );
    });
  });
});

describe("peer stream frames", () => {
  it("encodeGetRequests is the get frames of its keys, with consecutive ids, back to back; each decodes to its get", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffffffff - 64 }),
        fc.string({ unit: "grapheme", maxLength: 20 }),
        fc.array(fc.string({ unit: "binary", maxLength: 40 }), { minLength: 1, maxLength: 64 }),
        fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
        (firstId, group, keys, trace) => {
          const frames = encodeGetRequests(firstId, group, keys, trace);
          assert.deepEqual(frames, Buffer.concat(keys.map((key, i) => encodeGetRequest(firstId + i, group, key, trace))));
          const decoded: ReturnType<typeof decodeRequest>[] = [];
          new FrameReader(1 << 20, (frame) => decoded.push(decodeRequest(frame))).push(frames);
          assert.deepEqual(
            decoded.map((d) => d.kind === KIND_GET && [d.id, d.group, d.trace]),
            keys.map((_, i) => [firstId + i, group, trace === "" ? undefined : trace]),
          );
          // Keys with lone surrogates are sent as U+FFFD, as any UTF-8 encoding of them.
          assert.deepEqual(
            decoded.map((d) => d.kind === KIND_GET && d.key),
            keys.map((key) => Buffer.from(key, "utf8").toString("utf8")),
          );
        },
      ),
    );
  });
});
