/**
 * Byte-for-byte agreement with hashicorp/memberlist 0.2.2, checked against packages/testing/go/memberlist-vectors, which runs
 * memberlist's own encode/decode, compound, lzw, crc, encryption and stream code paths.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encode as msgpackEncode } from "@msgpack/msgpack";
import {
  Keyring,
  MessageType,
  addCrc,
  crc32,
  decodeCompound,
  decodeCompress,
  decodeMessage,
  decodePushPull,
  decryptPayload,
  encodeCompound,
  encodeCompress,
  encodeMessage,
  encodePushPull,
  encodeStream,
  encodeStreamUserMsg,
  encryptPayload,
  lzwCompress,
  lzwDecompress,
  readStreamMessage,
  tableCrc32,
  type MessageBodies,
  type PushPull,
} from "../src/wire/index.js";
import { Truncated } from "../src/wire/msgpack.js";
import { KINDS, arbPushNodeState, askGo, fromGo, hex, toGo, unhex } from "./wire-support.js";

const BYTE_FIELDS = ["SourceAddr", "Target", "Payload", "Addr", "Meta", "Vsn", "Buf"];
const SEED = 20261125;

function sample<T>(arb: fc.Arbitrary<T>, n: number): T[] {
  return fc.sample(arb, { numRuns: n, seed: SEED });
}

/** Go keeps every field; our decoder drops empty omitempty fields. */
function goValue(v: Record<string, unknown>): Record<string, unknown> {
  const out = fromGo(v, BYTE_FIELDS);
  for (const k of ["SourceAddr", "SourcePort", "SourceNode"]) {
    const x = out[k];
    if (x === 0 || x === "" || (x instanceof Uint8Array && x.length === 0)) delete out[k];
  }
  return out;
}

describe("wire agrees with Go memberlist", () => {
  it("every message type encodes to the same bytes as memberlist's encode(), for 150 random values each", async () => {
    const cases = KINDS.flatMap(({ kind, type, arb }) => sample(arb as fc.Arbitrary<object>, 150).map((value) => ({ kind, type, value })));
    // Edge values: integer widths, str16 (>= 32 bytes), str32 (>= 65536 bytes), empty and nil slices.
    for (const SeqNo of [0, 127, 128, 255, 256, 65535, 65536, 0xffffffff])
      cases.push({ kind: "ackResp", type: MessageType.AckResp, value: { SeqNo, Payload: new Uint8Array(0) } });
    cases.push({
      kind: "alive",
      type: MessageType.Alive,
      value: {
        Incarnation: 1,
        Node: "n".repeat(70_000),
        Addr: new Uint8Array([127, 0, 0, 1]),
        Port: 7946,
        Meta: new Uint8Array(300).fill(7),
        Vsn: new Uint8Array([1, 5, 2, 0, 0, 0]),
      },
    });
    const answer = await askGo({ encode: cases.map((c) => ({ kind: c.kind, value: toGo(c.value) })) });
    const results = answer.encode ?? [];
    assert.equal(results.length, cases.length);
    cases.forEach((c, i) => {
      const ours = hex(encodeMessage(c.type, c.value as MessageBodies[typeof c.type]));
      assert.equal(ours, results[i]?.hex, `${c.kind} ${JSON.stringify(toGo(c.value)).slice(0, 200)}`);
    });
  });

  it("Go decodes our bytes to the values we encoded, and we decode Go's bytes to the same values", async () => {
    const cases = KINDS.flatMap(({ kind, type, arb }) => sample(arb as fc.Arbitrary<object>, 60).map((value) => ({ kind, type, value })));
    const ours = cases.map((c) => encodeMessage(c.type, c.value as MessageBodies[typeof c.type]));
    const answer = await askGo({ decode: cases.map((c, i) => ({ kind: c.kind, hex: hex((ours[i] as Uint8Array).subarray(1)) })) });
    cases.forEach((c, i) => {
      const r = answer.decode?.[i];
      assert.equal(r?.err, undefined);
      assert.deepEqual(goValue(r?.value as Record<string, unknown>), c.value, c.kind);
      // Go's re-encoding of what it decoded is our encoding, and decodes back to the value on our side.
      assert.equal(r?.hex, hex(ours[i] as Uint8Array));
      assert.deepEqual(decodeMessage(unhex(r?.hex ?? "")), { type: c.type, body: c.value });
    });
  });

  it("msgpack written by another encoder (str8, bin, extra keys, nil fields, structs as arrays, bytes as arrays) decodes as Go decodes it", async () => {
    const extra = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.oneof(fc.integer(), fc.string(), fc.uint8Array({ maxLength: 4 }), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })),
      { maxKeys: 3 },
    );
    const cases = KINDS.flatMap(({ kind, type, arb }) =>
      sample(fc.tuple(arb as unknown as fc.Arbitrary<Record<string, unknown>>, extra, fc.constantFrom("map", "nulls", "array", "byteArrays")), 40).map(
        ([value, more, form]) => {
          let shaped: unknown;
          if (form === "array") shaped = Object.values(value);
          else if (form === "byteArrays") shaped = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v instanceof Uint8Array ? Array.from(v) : v]));
          else if (form === "nulls") shaped = Object.fromEntries(Object.entries(value).map(([k, v], i) => [k, i % 2 === 0 ? null : v]));
          else shaped = { ...more, ...value };
          // @msgpack/msgpack writes new-spec str8 and bin, which Go's old-spec codec still reads.
          return { kind, type, bytes: msgpackEncode(shaped) };
        },
      ),
    );
    const answer = await askGo({ decode: cases.map((c) => ({ kind: c.kind, hex: hex(c.bytes) })) });
    cases.forEach((c, i) => {
      const r = answer.decode?.[i];
      let ours: unknown;
      try {
        ours = decodeMessage(new Uint8Array([c.type, ...c.bytes])).body;
      } catch (err) {
        ours = err;
      }
      if (r?.err !== undefined) {
        // Go refuses: so do we (e.g. an array of fields whose order does not match).
        assert.ok(ours instanceof Error, `${c.kind}: Go failed (${r.err}) but we decoded ${hex(c.bytes)}`);
      } else {
        assert.deepEqual(ours, goValue(r?.value as Record<string, unknown>), `${c.kind} ${hex(c.bytes)}`);
      }
    });
  });

  it("differential fuzz: every mutated body Go's decoder accepts, ours decodes to the same value (and refusals agree)", async () => {
    const cases = KINDS.flatMap(({ kind, type, arb }) =>
      sample(fc.tuple(arb as fc.Arbitrary<object>, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 })), 250).map(
        ([value, edits]) => {
          const b = encodeMessage(type, value as MessageBodies[typeof type]).slice(1);
          for (const [at, v] of edits) b[at % b.length] = v;
          return { kind, type, b };
        },
      ),
    ).filter((c) => {
      // Bodies announcing more bytes than they hold are left out: Go allocates the announced length (up to
      // 4 GiB) before failing, and we refuse them without allocating (see the fuzz tests).
      try {
        decodeMessage(new Uint8Array([c.type, ...c.b]));
      } catch (err) {
        return !(err instanceof Truncated);
      }
      return true;
    });
    const answer = await askGo({ decode: cases.map((c) => ({ kind: c.kind, hex: hex(c.b) })) });
    let bothDecoded = 0;
    let onlyOurs = 0;
    cases.forEach((c, i) => {
      const r = answer.decode?.[i];
      let ours: unknown;
      try {
        ours = decodeMessage(new Uint8Array([c.type, ...c.b])).body;
      } catch (err) {
        assert.ok(err instanceof Error && err.name === "DecodeError");
        assert.notEqual(r?.err, undefined, `${c.kind}: Go decoded ${hex(c.b)}, we refused: ${err.message}`);
        return;
      }
      if (r?.err === undefined) {
        bothDecoded++;
        const theirs = goValue(r?.value as Record<string, unknown>);
        // Invalid UTF-8 in a string: Go keeps the bytes, a JS string cannot; both sides show U+FFFD differently.
        if (!JSON.stringify(theirs).includes("\uFFFD")) assert.deepEqual(ours, theirs, `${c.kind} ${hex(c.b)}`);
      } else {
        // Known: Go's reflection panics on some skipped unknown fields ("unaddressable value"); we skip them.
        onlyOurs++;
      }
    });
    assert.ok(bothDecoded > cases.length / 2, `only ${bothDecoded} of ${cases.length} mutated bodies decoded`);
    assert.ok(onlyOurs <= cases.length / 50, `${onlyOurs} bodies decoded by us but refused by Go`);
  });

  it("lzw output equals Go's compress/lzw (LSB, litWidth 8), including table resets, and both read each other", async () => {
    const inputs: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([1]),
      new TextEncoder().encode("TOBEORNOTTOBEORTOBEORNOT#"),
      new Uint8Array(10_000).fill(0x61),
      ...sample(fc.uint8Array({ maxLength: 3000 }), 20),
      ...sample(
        fc.array(fc.constantFrom(0, 1, 2, 3), { minLength: 20_000, maxLength: 40_000 }).map((a) => Uint8Array.from(a)),
        3,
      ),
      Uint8Array.from({ length: 200_000 }, (_, i) => ((i * 7919) % 251) ^ (i >> 9)),
    ];
    const answer = await askGo({ lzw: inputs.map(hex), unlzw: inputs.map((i) => hex(lzwCompress(i))) });
    inputs.forEach((input, i) => {
      const goOut = answer.lzw?.[i]?.hex ?? "";
      assert.equal(hex(lzwCompress(input)), goOut, `input ${i} (${input.length} bytes)`);
      assert.deepEqual(lzwDecompress(unhex(goOut)), input);
      assert.equal(answer.unlzw?.[i]?.err, undefined);
      assert.equal(answer.unlzw?.[i]?.hex ?? "", hex(input));
    });
  });

  it("differential fuzz: damaged lzw streams decode to exactly what Go's reader gives, or fail in both", async () => {
    const damaged = sample(
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 })),
      400,
    ).map(([input, edits]) => {
      const c = lzwCompress(input);
      for (const [at, v] of edits) c[at % c.length] = v;
      return c;
    });
    const answer = await askGo({ unlzw: damaged.map(hex) });
    let agreedOk = 0;
    damaged.forEach((c, i) => {
      const r = answer.unlzw?.[i];
      let ours: Uint8Array | undefined;
      try {
        ours = lzwDecompress(c);
      } catch (err) {
        assert.ok(err instanceof Error && err.name === "DecodeError");
      }
      assert.equal(ours === undefined, r?.err !== undefined, `${hex(c)}: ours ${ours === undefined ? "failed" : "decoded"}, Go ${r?.err ?? "decoded"}`);
      if (ours !== undefined) {
        agreedOk++;
        assert.equal(hex(ours), r?.hex ?? "");
      }
    });
    assert.ok(agreedOk > 20, `only ${agreedOk} damaged streams still decoded`);
  });

  it("compressMsg equals memberlist's compressPayload and each side decompresses the other's", async () => {
    const msgs = sample(fc.uint8Array({ minLength: 1, maxLength: 2000 }), 20);
    const answer = await askGo({ compressPayload: msgs.map(hex), decompress: msgs.map((m) => hex(encodeCompress(m).subarray(1))) });
    msgs.forEach((m, i) => {
      assert.equal(hex(encodeCompress(m)), answer.compressPayload?.[i]?.hex);
      assert.deepEqual(decodeCompress(unhex(answer.compressPayload?.[i]?.hex ?? "").subarray(1)), m);
      assert.equal(answer.decompress?.[i]?.hex, hex(m));
    });
  });

  it("compound messages equal makeCompoundMessage and split as decodeCompoundMessage does", async () => {
    const lists = sample(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 127 }), 15);
    const ours = lists.map((l) => encodeCompound(l));
    for (const o of ours) assert.equal(o.length, 1);
    const truncatedCase = (ours[0]?.[0] as Uint8Array).subarray(1, -1);
    const answer = await askGo({
      compound: lists.map((l) => l.map(hex)),
      uncompound: [...ours.map((o) => hex((o[0] as Uint8Array).subarray(1))), hex(truncatedCase)],
    });
    lists.forEach((l, i) => {
      assert.equal(hex(ours[i]?.[0] as Uint8Array), answer.compound?.[i]?.hex);
      const goParts = answer.uncompound?.[i]?.value as { truncated: number; parts: string[] };
      assert.deepEqual(goParts, { truncated: 0, parts: l.map(hex) });
    });
    const ourTrunc = decodeCompound(truncatedCase);
    const goTrunc = answer.uncompound?.[lists.length]?.value as { truncated: number; parts: string[] };
    assert.deepEqual({ truncated: ourTrunc.truncated, parts: ourTrunc.parts.map(hex) }, goTrunc);
  });

  it("Go 0.2.2 misreads compound messages of 128+ parts (uint8 overflow), so encodeCompound splits at 127", async () => {
    const parts = Array.from({ length: 200 }, (_, i) => new Uint8Array([MessageType.NackResp, i]));
    const one = encodeCompound(parts, 255);
    const split = encodeCompound(parts);
    assert.equal(one.length, 1);
    assert.deepEqual(
      split.map((s) => s[1]),
      [127, 73],
    );
    const answer = await askGo({ uncompound: [hex((one[0] as Uint8Array).subarray(1)), ...split.map((s) => hex(s.subarray(1)))] });
    const goOne = answer.uncompound?.[0]?.value as { parts: string[] };
    assert.notDeepEqual(goOne.parts, parts.map(hex));
    assert.deepEqual(decodeCompound((one[0] as Uint8Array).subarray(1)).parts.map(hex), parts.map(hex));
    const goSplit = [1, 2].flatMap((i) => (answer.uncompound?.[i]?.value as { parts: string[] }).parts);
    assert.deepEqual(goSplit, parts.map(hex));
  });

  it("crc32 equals Go's crc32.ChecksumIEEE and addCrc frames as rawSendMsgPacket", async () => {
    const inputs = [new Uint8Array(0), ...sample(fc.uint8Array({ maxLength: 500 }), 30)];
    const answer = await askGo({ crc: inputs.map(hex) });
    inputs.forEach((input, i) => {
      const expected = answer.crc?.[i]?.value as number;
      assert.equal(crc32(input), expected);
      assert.equal(tableCrc32(input), expected);
      const framed = addCrc(input);
      assert.equal(framed[0], MessageType.HasCrc);
      assert.equal(Buffer.from(framed).readUInt32BE(1), expected);
    });
  });

  it("AES-GCM payloads (versions 0 and 1, 16/24/32-byte keys, with and without additional data) decrypt on the other side", async () => {
    const keys = [16, 24, 32].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff));
    const msgs = sample(fc.uint8Array({ maxLength: 100 }), 12);
    const cases = msgs.map((msg, i) => ({
      vsn: (i % 2) as 0 | 1,
      key: keys[i % 3] as Uint8Array,
      msg,
      data: i % 4 < 2 ? new Uint8Array(0) : new Uint8Array([10, 0, 0, 0, 9]),
    }));
    const ours = cases.map((c) => encryptPayload(c.vsn, c.key, c.msg, c.data));
    const wrongKey = new Uint8Array(16).fill(9);
    const answer = await askGo({
      encrypt: cases.map((c) => ({ vsn: c.vsn, key: hex(c.key), msg: hex(c.msg), data: hex(c.data) })),
      decrypt: [
        ...cases.map((c, i) => ({ keys: [hex(wrongKey), hex(c.key)], msg: hex(ours[i] as Uint8Array), data: hex(c.data) })),
        { keys: [hex(wrongKey)], msg: hex(ours[0] as Uint8Array), data: "" },
      ],
    });
    cases.forEach((c, i) => {
      const goCipher = unhex(answer.encrypt?.[i]?.hex ?? "");
      assert.equal(goCipher.length, ours[i]?.length, "same length: version byte, nonce, padding (v0), tag");
      assert.equal(goCipher[0], c.vsn);
      assert.deepEqual(decryptPayload([wrongKey, c.key], goCipher, c.data), c.msg);
      assert.equal(answer.decrypt?.[i]?.err, undefined);
      assert.equal(answer.decrypt?.[i]?.hex, hex(c.msg));
    });
    assert.match(answer.decrypt?.[cases.length]?.err ?? "", /No installed keys/);
  });

  it("push/pull and user-message streams equal sendLocalState/sendUserMsg, framed (compress, encrypt) as rawSendMsgStream", async () => {
    const pushPulls: PushPull[] = sample(
      fc.record(
        { join: fc.boolean(), states: fc.array(arbPushNodeState, { maxLength: 20 }), userState: fc.uint8Array({ maxLength: 100 }) },
        { noNullPrototype: true },
      ),
      10,
    );
    const users = sample(fc.uint8Array({ maxLength: 200 }), 5);
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const keyring = new Keyring(key);
    const pp0 = encodePushPull(pushPulls[0] as PushPull);
    const framedByUs = [
      encodeStream(pp0, { compress: true }),
      encodeStream(pp0, { keyring }),
      encodeStream(pp0, { compress: true, keyring, encryptionVersion: 0 }),
      encodeStream(encodeStreamUserMsg(users[0] as Uint8Array), { compress: true, keyring }),
      encodeStream(encodeMessage(MessageType.Ping, { SeqNo: 9, Node: "go" }), { keyring }),
    ];
    const answer = await askGo({
      pushPull: pushPulls.map((p) => ({ join: p.join, states: p.states.map(toGo), user: hex(p.userState) })),
      userMsg: users.map(hex),
      stream: [
        { msg: hex(pp0), compress: true, key: "", vsn: 1 },
        { msg: hex(pp0), compress: true, key: hex(key), vsn: 1 },
        { msg: hex(pp0), compress: false, key: hex(key), vsn: 0 },
      ],
      readStream: framedByUs.map((f) => ({ keys: [hex(key)], hex: hex(f) })),
    });
    pushPulls.forEach((p, i) => {
      const goBytes = unhex(answer.pushPull?.[i]?.hex ?? "");
      assert.equal(hex(encodePushPull(p)), hex(goBytes));
      assert.deepEqual(decodePushPull(goBytes.subarray(1)), p);
    });
    users.forEach((u, i) => assert.equal(hex(encodeStreamUserMsg(u)), answer.userMsg?.[i]?.hex));
    // Unencrypted compressed stream: byte-equal. Encrypted: random nonce, so decrypt Go's and compare.
    assert.equal(hex(framedByUs[0] as Uint8Array), answer.stream?.[0]?.hex);
    for (const r of answer.stream ?? []) {
      const read = readStreamMessage(unhex(r.hex ?? ""), { keyring, verifyIncoming: false });
      assert.ok(read.done);
      assert.equal(read.consumed, (r.hex ?? "").length / 2);
      assert.deepEqual(read.message, { type: MessageType.PushPull, body: pushPulls[0] });
    }
    // Go reads every stream we framed.
    const p0 = pushPulls[0] as PushPull;
    for (const i of [0, 1, 2]) {
      const v = answer.readStream?.[i]?.value as { type: number; join: boolean; states: Record<string, unknown>[]; user: string };
      assert.equal(answer.readStream?.[i]?.err, undefined);
      assert.equal(v.type, MessageType.PushPull);
      assert.equal(v.join, p0.join);
      assert.deepEqual(
        v.states.map((s) => fromGo(s, BYTE_FIELDS)),
        p0.states,
      );
      assert.equal(v.user, hex(p0.userState));
    }
    assert.deepEqual(answer.readStream?.[3]?.value, { type: MessageType.User, user: hex(users[0] as Uint8Array) });
    assert.deepEqual(answer.readStream?.[4]?.value, { type: MessageType.Ping, body: { SeqNo: 9, Node: "go", SourceAddr: "", SourcePort: 0, SourceNode: "" } });
  });

  it("a keyring orders its keys as memberlist.NewKeyring: primary first, duplicates dropped", async () => {
    const k = (b: number): Uint8Array => new Uint8Array(16).fill(b);
    const answer = await askGo({ keyring: [[hex(k(1)), hex(k(2)), hex(k(1)), hex(k(3))]] });
    assert.deepEqual(answer.keyring?.[0]?.value, new Keyring(k(1), [k(2), k(1), k(3)]).getKeys().map(hex));
  });
});
