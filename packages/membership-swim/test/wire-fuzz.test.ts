/** Fuzzing every wire decoder: random and mutated valid inputs only ever produce a result or a DecodeError. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError } from "@cachecluster/core";
import {
  Keyring,
  MessageType,
  addCrc,
  checkCrc,
  decodeCompound,
  decodeCompress,
  decodeMessage,
  decodePacket,
  decodePushPull,
  decryptPayload,
  encodeCompound,
  encodeCompress,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStream,
  encodeStreamUserMsg,
  encryptPayload,
  lzwCompress,
  lzwDecompress,
  readStreamMessage,
  StreamReader,
} from "../src/wire/index.js";
import { arbLeaf, arbPushNodeState } from "./wire-support.js";

const key = new Uint8Array(16).fill(5);
const keyring = new Keyring(key);
const RUNS = 1500;

/** Runs `f`; passes when it returns or throws a DecodeError, fails on any other throw or a slow call. */
function onlyDecodeError(name: string, f: () => unknown): void {
  const start = performance.now();
  try {
    f();
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      assert.fail(`${name} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}, not a DecodeError`);
    }
    assert.equal(err.code, "CACHECLUSTER_DECODE_FAILED");
  }
  const ms = performance.now() - start;
  assert.ok(ms < 2000, `${name} took ${ms.toFixed(0)} ms`);
}

/** Valid inputs of every layer, to mutate. */
const arbValid = fc.oneof(
  arbLeaf.map((m) => encodeMessage(m.type, m.body as never)),
  fc.array(arbLeaf, { minLength: 1, maxLength: 8 }).map((ms) => encodeCompound(ms.map((m) => encodeMessage(m.type, m.body as never)))[0] as Uint8Array),
  arbLeaf.map((m) => encodeCompress(encodeMessage(m.type, m.body as never))),
  fc.array(arbLeaf, { minLength: 1, maxLength: 8 }).chain((ms) =>
    fc.record({ crc: fc.boolean(), compress: fc.boolean(), enc: fc.boolean() }).map(
      (o) =>
        encodePacket(
          ms.map((m) => encodeMessage(m.type, m.body as never)),
          { crc: o.crc, compress: o.compress, ...(o.enc ? { keyring } : {}) },
        )[0] as Uint8Array,
    ),
  ),
  fc
    .record(
      { join: fc.boolean(), states: fc.array(arbPushNodeState, { maxLength: 4 }), userState: fc.uint8Array({ maxLength: 20 }) },
      { noNullPrototype: true },
    )
    .chain((pp) => fc.constantFrom(encodePushPull(pp), encodeStream(encodePushPull(pp), { compress: true }), encodeStream(encodePushPull(pp), { keyring }))),
  fc.uint8Array({ maxLength: 40 }).map((u) => encodeStreamUserMsg(u)),
);

/** A valid input with random damage: bit flips, overwritten bytes, truncation, insertion. */
const arbMutated = fc
  .tuple(
    arbValid,
    fc.array(fc.tuple(fc.constantFrom("flip", "set", "cut", "insert", "dup"), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([valid, edits]) => {
    let b = Array.from(valid);
    for (const [op, at, v] of edits) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (op === "flip" && b.length > 0) b[i] = (b[i] as number) ^ (1 << (v & 7));
      else if (op === "set" && b.length > 0) b[i] = v;
      else if (op === "cut") b = b.slice(0, i);
      else if (op === "insert") b.splice(i, 0, v);
      else if (op === "dup") b = b.concat(b.slice(i));
    }
    return Uint8Array.from(b);
  });

const arbInput = fc.oneof(arbMutated, fc.uint8Array({ maxLength: 200 }), arbValid);

/** Every decoder, applied to the same bytes. */
const DECODERS: [string, (b: Uint8Array) => unknown][] = [
  ["decodeMessage", (b) => decodeMessage(b)],
  ["decodeCompound", (b) => decodeCompound(b.subarray(1))],
  ["checkCrc", (b) => checkCrc(b)],
  ["lzwDecompress", (b) => lzwDecompress(b, 1 << 20)],
  ["decodeCompress", (b) => decodeCompress(b.subarray(1), 1 << 20)],
  ["decryptPayload", (b) => decryptPayload([key], b)],
  ["decodePacket", (b) => decodePacket(b)],
  ["decodePacket+keyring", (b) => decodePacket(b, { keyring })],
  ["decodePacket+keyring, plaintext fallback", (b) => decodePacket(b, { keyring, verifyIncoming: false })],
  ["decodePushPull", (b) => decodePushPull(b.subarray(1), 1 << 20)],
  ["readStreamMessage", (b) => readStreamMessage(b, { maxStreamBytes: 1 << 20 })],
  ["readStreamMessage+keyring", (b) => readStreamMessage(b, { keyring, maxStreamBytes: 1 << 20 })],
  [
    "StreamReader fed in three chunks",
    (b) => {
      const reader = new StreamReader({ maxStreamBytes: 1 << 20 });
      const third = Math.ceil(b.length / 3);
      for (let at = 0; at < b.length; at += third) if (reader.push(b.subarray(at, at + third)).done) return;
    },
  ],
];

describe("wire decoders under fuzzing", () => {
  for (const [name, decode] of DECODERS) {
    it(`${name} only ever throws DecodeError on random, mutated and valid inputs`, () => {
      fc.assert(
        fc.property(arbInput, (b) => onlyDecodeError(name, () => decode(b))),
        { numRuns: RUNS },
      );
    });
  }

  it("mutated packets that still decode yield well-formed messages", () => {
    fc.assert(
      fc.property(arbMutated, (b) => {
        let r;
        try {
          r = decodePacket(b);
        } catch (err) {
          assert.ok(err instanceof DecodeError);
          return;
        }
        for (const m of r.messages) {
          assert.ok(m.type >= 0 && m.type <= 13);
          assert.equal(typeof m.body, "object");
        }
        for (const e of r.errors) assert.ok(e instanceof DecodeError);
      }),
      { numRuns: RUNS },
    );
  });

  it("a decompression bomb is refused at the limit, without producing it", () => {
    const bomb = lzwCompress(new Uint8Array(8 * 1024 * 1024));
    assert.ok(bomb.length < 20_000, `bomb is ${bomb.length} bytes`);
    assert.throws(() => lzwDecompress(bomb, 1024 * 1024), { name: "DecodeError", message: /exceeds the limit/ });
    const packet = encodeCompress(new Uint8Array([MessageType.User, ...new Uint8Array(3 * 1024 * 1024)]));
    assert.ok(packet.length < 65_000);
    assert.throws(() => decodePacket(packet), { name: "DecodeError", message: /exceeds the limit/ });
    assert.throws(() => readStreamMessage(packet, { maxStreamBytes: 1024 * 1024 }), { name: "DecodeError", message: /exceeds the limit/ });
  });

  it("lengths announced beyond the input are truncation errors, not allocations", () => {
    // ackResp whose Payload claims 4 GiB (str32), a map claiming 2^32 entries, a push/pull claiming 2^31 nodes.
    const hugeStr = new Uint8Array([MessageType.AckResp, 0x82, 0xa7, ...new TextEncoder().encode("Payload"), 0xdb, 0xff, 0xff, 0xff, 0xff, 1]);
    assert.throws(() => decodeMessage(hugeStr), { name: "DecodeError" });
    const hugeMap = new Uint8Array([MessageType.Ping, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x41, 1]);
    assert.throws(() => decodeMessage(hugeMap), { name: "DecodeError" });
    const pp = encodePushPull({ join: false, states: [], userState: new Uint8Array(0) });
    const nodesAt = pp.indexOf(0x00, 2); // Nodes: 0 follows the "Nodes" key
    const header = new Uint8Array([...pp.subarray(0, nodesAt), 0xce, 0x7f, 0xff, 0xff, 0xff, ...pp.subarray(nodesAt + 1)]);
    assert.throws(() => decodePushPull(header.subarray(1), 1 << 20), { name: "DecodeError" });
    assert.throws(() => readStreamMessage(header, { maxStreamBytes: 1 << 20 }), { name: "DecodeError" });
    const encFrame = new Uint8Array([MessageType.Encrypt, 0x7f, 0xff, 0xff, 0xff]);
    assert.throws(() => readStreamMessage(encFrame, { keyring }), { name: "DecodeError", message: /larger than limit/ });
  });

  it("deeply nested compound/compress messages are refused", () => {
    let msg = encodeMessage(MessageType.NackResp, { SeqNo: 1 });
    for (let i = 0; i < 10; i++) msg = i % 2 === 0 ? (encodeCompound([msg])[0] as Uint8Array) : encodeCompress(msg);
    const r = decodePacket(msg);
    assert.deepEqual(r.messages, []);
    assert.match(r.errors.map((e) => e.message).join(), /nests compound\/compress messages deeper than 4/);
    assert.throws(() => decodePacket(encodeCompress(encodeCompress(encodeCompress(encodeCompress(encodeCompress(msg)))))), {
      name: "DecodeError",
      message: /nests/,
    });
    const ok = encodeCompress(encodeCompound([encodeMessage(MessageType.NackResp, { SeqNo: 1 })])[0] as Uint8Array);
    assert.deepEqual(decodePacket(ok).messages, [{ type: MessageType.NackResp, body: { SeqNo: 1 } }]);
  });

  it("packets under a wrong key, or a crc over other bytes, are refused", () => {
    const p = encodePacket([encodeMessage(MessageType.NackResp, { SeqNo: 1 })], { keyring, crc: true })[0] as Uint8Array;
    assert.throws(() => decodePacket(p, { keyring: new Keyring(new Uint8Array(16).fill(6)) }), { name: "EncryptionError", message: /no installed keys/ });
    const crcd = addCrc(encodeMessage(MessageType.NackResp, { SeqNo: 1 }));
    crcd[crcd.length - 1] = 2;
    assert.throws(() => decodePacket(crcd), { name: "DecodeError", message: /checksum/ });
    assert.throws(() => decryptPayload([key], encryptPayload(1, key, new Uint8Array(3)).subarray(0, 20)), { name: "DecodeError" });
  });
});
