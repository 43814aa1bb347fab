import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_UDP_BUFFER_SIZE,
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
  encryptedLength,
  lzwCompress,
  lzwDecompress,
  readStreamMessage,
  StreamReader,
  type MessageBodies,
  type PushPull,
} from "../src/wire/index.js";
import { KINDS, arbLeaf, arbPushNodeState } from "./wire-support.js";

const key16 = new Uint8Array(16).fill(1);
const key32 = new Uint8Array(32).fill(2);
const arbPushPull: fc.Arbitrary<PushPull> = fc.record(
  { join: fc.boolean(), states: fc.array(arbPushNodeState, { maxLength: 30 }), userState: fc.uint8Array({ maxLength: 300 }) },
  { noNullPrototype: true },
);

describe("wire round trips", () => {
  for (const { kind, type, arb } of KINDS) {
    it(`decodeMessage(encodeMessage(${kind})) is the ${kind}`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<object>, (body) => {
          assert.deepEqual(decodeMessage(encodeMessage(type, body as MessageBodies[typeof type])), { type, body });
        }),
        { numRuns: 300 },
      );
    });
  }

  it("a user message carries its bytes unchanged", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        assert.deepEqual(decodeMessage(encodeMessage(MessageType.User, b)), { type: MessageType.User, body: b });
      }),
    );
  });

  it("compound messages give back their parts in order, split every 127 parts", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 400 }), (parts) => {
        const msgs = encodeCompound(parts);
        assert.equal(msgs.length, Math.ceil(parts.length / 127));
        const back = msgs.flatMap((m) => {
          assert.equal(m[0], MessageType.Compound);
          const { parts: p, truncated } = decodeCompound(m.subarray(1));
          assert.equal(truncated, 0);
          return p;
        });
        assert.deepEqual(back, parts);
      }),
      { numRuns: 100 },
    );
  });

  it("lzw decompresses to the input, for random and highly repetitive data", () => {
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 5000 }),
      fc.array(fc.constantFrom(0, 1), { maxLength: 30_000 }).map((a) => Uint8Array.from(a)),
    );
    fc.assert(
      fc.property(arb, (data) => assert.deepEqual(lzwDecompress(lzwCompress(data)), data)),
      { numRuns: 100 },
    );
  });

  it("compressMsg wraps and unwraps any message", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (msg) => {
        const c = encodeCompress(msg);
        assert.equal(c[0], MessageType.Compress);
        assert.deepEqual(decodeCompress(c.subarray(1)), msg);
      }),
      { numRuns: 100 },
    );
  });

  it("addCrc then checkCrc gives the packet back; any flipped bit is caught", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), fc.nat(), (p, flip) => {
        const framed = addCrc(p);
        assert.deepEqual(checkCrc(framed), p);
        const bad = framed.slice();
        const bit = flip % ((bad.length - 1) * 8);
        bad[1 + (bit >> 3)] = (bad[1 + (bit >> 3)] as number) ^ (1 << (bit & 7));
        assert.throws(() => checkCrc(bad), { name: "DecodeError" });
      }),
    );
  });

  it("encryption round-trips for both versions and every key size, with the size encryptedLength predicts", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0 as const, 1 as const),
        fc.constantFrom(16, 24, 32),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 8 }),
        (vsn, size, msg, data) => {
          const key = new Uint8Array(size).fill(size);
          const sealed = encryptPayload(vsn, key, msg, data);
          assert.equal(sealed.length, encryptedLength(vsn, msg.length));
          assert.deepEqual(decryptPayload([key16, key], sealed, data), msg);
          assert.throws(() => decryptPayload([key16], sealed, data), { name: "DecodeError" });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("encodePacket/decodePacket deliver every message in order, in datagrams no larger than maxPacketSize, under every option", () => {
    const keyring = new Keyring(key32, [key16]);
    fc.assert(
      fc.property(
        fc.array(arbLeaf, { minLength: 1, maxLength: 80 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(0 as const, 1 as const),
        fc.constantFrom(200, 512, DEFAULT_UDP_BUFFER_SIZE),
        (msgs, crc, compress, encrypt, encryptionVersion, maxPacketSize) => {
          const encoded = msgs.map((m) => encodeMessage(m.type, m.body as never));
          const fitsAlone = encoded.every((e) => e.length + 2 + 2 + 5 + 45 <= maxPacketSize);
          const opts = { crc, compress, encryptionVersion, maxPacketSize, ...(encrypt ? { keyring } : {}) };
          const datagrams = encodePacket(encoded, opts);
          if (fitsAlone) for (const d of datagrams) assert.ok(d.length <= maxPacketSize, `${d.length} > ${maxPacketSize}`);
          const decoded = datagrams.flatMap((d) => {
            const r = decodePacket(d, encrypt ? { keyring } : {});
            assert.deepEqual(r.errors, []);
            return r.messages;
          });
          assert.deepEqual(decoded, msgs);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a push/pull exchange round-trips alone and through a stream with compression and encryption", () => {
    const keyring = new Keyring(key16);
    fc.assert(
      fc.property(arbPushPull, fc.boolean(), fc.boolean(), (pp, compress, encrypt) => {
        const msg = encodePushPull(pp);
        assert.deepEqual(decodePushPull(msg.subarray(1)), pp);
        const framed = encodeStream(msg, { compress, ...(encrypt ? { keyring } : {}) });
        const read = readStreamMessage(framed, encrypt ? { keyring } : {});
        assert.deepEqual(read, { done: true, message: { type: MessageType.PushPull, body: pp }, consumed: framed.length });
      }),
      { numRuns: 100 },
    );
  });

  it("a stream message is reported incomplete for every proper prefix, and complete once whole", () => {
    const keyring = new Keyring(key16);
    fc.assert(
      fc.property(arbPushPull, fc.uint8Array({ maxLength: 50 }), fc.integer({ min: 0, max: 3 }), (pp, user, mode) => {
        const msg = mode % 2 === 0 ? encodePushPull(pp) : encodeStreamUserMsg(user);
        const opts = mode >= 2 ? { keyring } : {};
        const framed = encodeStream(msg, opts);
        for (let n = 0; n < framed.length; n += Math.max(1, Math.floor(framed.length / 40))) {
          assert.deepEqual(readStreamMessage(framed.subarray(0, n), opts), { done: false });
        }
        // Trailing bytes belong to the next message: `consumed` tells where it starts.
        const withTail = new Uint8Array([...framed, 0xff, 0xff]);
        const read = readStreamMessage(withTail, opts);
        assert.ok(read.done);
        assert.equal(read.consumed, framed.length);
        assert.deepEqual(read.message, mode % 2 === 0 ? { type: MessageType.PushPull, body: pp } : { type: MessageType.User, body: user });
      }),
      { numRuns: 60 },
    );
  });

  it("ping, ack and err messages are read from streams too", () => {
    for (const [type, body] of [
      [MessageType.Ping, { SeqNo: 1, Node: "a" }],
      [MessageType.AckResp, { SeqNo: 2, Payload: new Uint8Array([1]) }],
      [MessageType.Err, { Error: "boom" }],
    ] as const) {
      const framed = encodeStream(encodeMessage(type, body as never), { compress: true });
      assert.deepEqual(readStreamMessage(framed), { done: true, message: { type, body }, consumed: framed.length });
    }
  });

  it("a StreamReader fed random chunks returns the message once whole, as readStreamMessage does", () => {
    const keyring = new Keyring(key16);
    fc.assert(
      fc.property(
        arbPushPull,
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 50 }),
        (pp, user, mode, cuts) => {
          const msg = mode % 2 === 0 ? encodePushPull(pp) : encodeStreamUserMsg(user);
          const opts = mode >= 4 ? { keyring } : {};
          const framed = encodeStream(msg, { compress: mode === 2 || mode === 3, ...opts });
          const expected = readStreamMessage(framed, opts);
          const reader = new StreamReader(opts);
          let at = 0;
          let result = undefined;
          for (let i = 0; at < framed.length; i++) {
            const n = cuts[i % cuts.length] as number;
            const chunk = framed.subarray(at, at + n);
            at += chunk.length;
            result = reader.push(chunk);
            if (at < framed.length) assert.deepEqual(result, { done: false });
          }
          assert.deepEqual(result, expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  for (const [name, options] of [
    ["plain", {}],
    ["compressed", { compress: true }],
    ["compressed and encrypted", { compress: true, keyring: new Keyring(key16) }],
  ] as const) {
    it(`a StreamReader reads a 5,000-node push/pull, ${name}, fed 1 KB at a time in linear work`, () => {
      const states = fc.sample(arbPushNodeState, { numRuns: 5000, seed: 1 });
      const framed = encodeStream(encodePushPull({ join: false, states, userState: new Uint8Array(10_000) }), options);
      const reader = new StreamReader("keyring" in options ? { keyring: options.keyring } : {});
      let result = undefined;
      for (let at = 0; at < framed.length; at += 1024) result = reader.push(framed.subarray(at, at + 1024));
      assert.ok(result?.done === true && result.message.type === MessageType.PushPull);
      assert.equal(result.message.body.states.length, 5000);
      assert.ok(reader.scannedBytes < 3 * framed.length, `scanned ${reader.scannedBytes} bytes for a ${framed.length}-byte message`);
    });
  }

  it("a StreamReader refuses a compressed message whose envelope announces more than its limit, before buffering it", () => {
    const noise = Uint8Array.from({ length: 200_000 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 24) & 255);
    const framed = encodeStream(encodePushPull({ join: false, states: [], userState: noise }), { compress: true });
    assert.ok(framed.length > 16 * 1024 + 64 * 1024);
    const reader = new StreamReader({ maxStreamBytes: 16 * 1024 });
    assert.throws(() => reader.push(framed.subarray(0, 100)), { name: "DecodeError", message: /larger than limit/ });
  });
});
