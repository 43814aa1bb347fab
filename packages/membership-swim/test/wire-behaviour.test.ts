import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Keyring,
  MessageType,
  decodeMessage,
  decodePacket,
  decryptPayload,
  encodeCompound,
  encodeMessage,
  encodePacket,
  encodeStream,
  encodeStreamUserMsg,
  encryptPayload,
  packetBudget,
  readStreamMessage,
} from "../src/wire/index.js";

const nack = (SeqNo: number): Uint8Array => encodeMessage(MessageType.NackResp, { SeqNo });
const key = new Uint8Array(16).fill(3);

describe("wire encoding rules", () => {
  it("fields out of their Go type's range are refused with the field named", () => {
    assert.throws(() => encodeMessage(MessageType.NackResp, { SeqNo: -1 }), {
      name: "InvalidArgumentError",
      message: /nackResp\.SeqNo to be an integer from 0 to 4294967295, got -1/,
    });
    assert.throws(
      () =>
        encodeMessage(MessageType.Alive, { Incarnation: 1, Node: "a", Addr: new Uint8Array(4), Port: 70000, Meta: new Uint8Array(0), Vsn: new Uint8Array(6) }),
      { message: /alive\.Port/ },
    );
    assert.throws(() => encodeMessage(MessageType.Ping, { SeqNo: 1, Node: 5 as unknown as string }), { message: /ping\.Node to be a string/ });
    assert.throws(() => encodeMessage(99 as MessageType, new Uint8Array(0)), { name: "InvalidArgumentError" });
  });

  it("empty optional fields are left out and empty byte slices are written as nil, as Go writes nil slices", () => {
    assert.deepEqual(Buffer.from(encodeMessage(MessageType.Ping, { SeqNo: 1, Node: "", SourcePort: 0 })).toString("hex"), "0082a44e6f6465a0a55365714e6f01");
    // Keys are sorted: Payload (nil) comes before SeqNo.
    assert.equal(
      Buffer.from(encodeMessage(MessageType.AckResp, { SeqNo: 1, Payload: new Uint8Array(0) })).toString("hex"),
      "0282a75061796c6f6164c0a55365714e6f01",
    );
  });

  it("decodeMessage refuses empty input and unknown types, and ignores bytes after the body as Go does", () => {
    assert.throws(() => decodeMessage(new Uint8Array(0)), { name: "DecodeError" });
    assert.throws(() => decodeMessage(new Uint8Array([14])), { name: "DecodeError", message: /unknown message type 14/ });
    assert.deepEqual(decodeMessage(new Uint8Array([...nack(7), 1, 2, 3])), { type: MessageType.NackResp, body: { SeqNo: 7 } });
  });

  it("a keyring takes only AES key sizes, keeps the primary first, and will not drop it", () => {
    assert.throws(() => new Keyring(new Uint8Array(15)), { name: "InvalidArgumentError", message: /16, 24 or 32 bytes/ });
    const k2 = new Uint8Array(32).fill(2);
    const ring = new Keyring(key, [k2]);
    assert.throws(() => ring.removeKey(key), { message: /primary/ });
    ring.useKey(k2);
    assert.deepEqual(ring.getPrimaryKey(), k2);
    ring.removeKey(key);
    assert.equal(ring.getKeys().length, 1);
    assert.throws(() => ring.useKey(key), { message: /installed/ });
  });

  it("version-0 payloads with invalid PKCS#7 padding are refused (the version byte is not authenticated)", () => {
    const sealed = encryptPayload(1, key, new Uint8Array([...new Uint8Array(20).fill(1), 0]));
    sealed[0] = 0;
    assert.throws(() => decryptPayload([key], sealed), { name: "DecodeError", message: /padding/ });
  });
});

describe("datagrams", () => {
  it("the budget for messages subtracts the crc header and the worst-case encryption overhead", () => {
    assert.equal(packetBudget(), 1400);
    assert.equal(packetBudget({ crc: true, keyring: new Keyring(key) }), 1400 - 5 - 29);
    assert.equal(packetBudget({ keyring: new Keyring(key), encryptionVersion: 0 }), 1400 - 45);
    assert.throws(() => packetBudget({ maxPacketSize: 10 }), { name: "InvalidArgumentError" });
  });

  it("a lone message is sent bare, several as one compound, more than fit as several datagrams", () => {
    assert.deepEqual(encodePacket([nack(1)]), [nack(1)]);
    const two = encodePacket([nack(1), nack(2)]);
    assert.equal(two.length, 1);
    assert.equal(two[0]?.[0], MessageType.Compound);
    const many = encodePacket(
      Array.from({ length: 300 }, (_, i) => nack(i)),
      { maxPacketSize: 200 },
    );
    assert.ok(many.length > 1);
    for (const d of many) assert.ok(d.length <= 200);
    assert.deepEqual(
      many.flatMap((d) => decodePacket(d).messages.map((m) => (m.body as { SeqNo: number }).SeqNo)),
      Array.from({ length: 300 }, (_, i) => i),
    );
  });

  it("compression is used only when it makes the datagram smaller", () => {
    const random = encodeMessage(
      MessageType.User,
      Uint8Array.from({ length: 200 }, (_, i) => (i * 151 + 7) % 256),
    );
    assert.equal(encodePacket([random], { compress: true })[0]?.[0], MessageType.User);
    const repetitive = encodeMessage(MessageType.User, new Uint8Array(400).fill(1));
    assert.equal(encodePacket([repetitive], { compress: true })[0]?.[0], MessageType.Compress);
  });

  it("a message too big to share a datagram goes alone; one beyond the UDP limit is refused", () => {
    const big = encodeMessage(MessageType.User, new Uint8Array(3000));
    const out = encodePacket([nack(1), big, nack(2)]);
    assert.deepEqual(
      out.map((d) => d.length),
      [nack(1).length, big.length, nack(2).length],
    );
    assert.throws(() => encodePacket([encodeMessage(MessageType.User, new Uint8Array(70_000))]), { name: "InvalidArgumentError" });
  });

  it("with a keyring, undecryptable datagrams are refused, or read as plaintext when verifyIncoming is false", () => {
    const keyring = new Keyring(key);
    assert.throws(() => decodePacket(nack(1), { keyring }), { name: "EncryptionError", problem: "undecryptable" });
    assert.deepEqual(decodePacket(nack(1), { keyring, verifyIncoming: false }).messages, [{ type: MessageType.NackResp, body: { SeqNo: 1 } }]);
  });

  it("bad parts of a compound message are reported and the good parts still delivered", () => {
    const compound = encodeCompound([nack(1), new Uint8Array([MessageType.PushPull, 1]), new Uint8Array([MessageType.Alive, 0xc1]), nack(2)])[0] as Uint8Array;
    const truncated = compound.subarray(0, compound.length - 1);
    const r = decodePacket(truncated);
    assert.deepEqual(r.messages, [{ type: MessageType.NackResp, body: { SeqNo: 1 } }]);
    assert.deepEqual(
      r.errors.map((e) => e.message.replace(/:.*/, "")),
      ["compound message", "message type PushPull is not supported in a packet", "alive"],
    );
  });

  it("stream-only and framing types alone in a datagram are refused", () => {
    for (const t of [MessageType.PushPull, MessageType.Encrypt, MessageType.Err, MessageType.HasCrc]) {
      assert.throws(() => decodePacket(new Uint8Array([t, 0x80])), { name: "DecodeError" });
    }
  });
});

describe("streams", () => {
  it("encryption must match on both ends unless verifyIncoming is false", () => {
    const keyring = new Keyring(key);
    const plain = encodeStream(encodeStreamUserMsg(new Uint8Array([1])));
    const sealed = encodeStream(encodeStreamUserMsg(new Uint8Array([1])), { keyring });
    assert.throws(() => readStreamMessage(sealed), { name: "EncryptionError", problem: "unexpected-encryption", message: /encryption is not configured/ });
    assert.throws(() => readStreamMessage(plain, { keyring }), { name: "EncryptionError", problem: "unencrypted", message: /not encrypted/ });
    assert.equal(readStreamMessage(plain, { keyring, verifyIncoming: false }).done, true);
    assert.throws(() => readStreamMessage(sealed, { keyring: new Keyring(new Uint8Array(16)) }), {
      name: "EncryptionError",
      problem: "undecryptable",
      message: /no installed keys/,
    });
  });

  it("a refused plaintext answer that is a memberlist error reply is quoted in the error", () => {
    const reply = encodeStream(encodeMessage(MessageType.Err, { Error: "Remote state is encrypted and encryption is not configured" }), { compress: true });
    assert.throws(() => readStreamMessage(reply, { keyring: new Keyring(key) }), {
      name: "EncryptionError",
      problem: "unencrypted",
      remoteError: "Remote state is encrypted and encryption is not configured",
      message: /it answered: "Remote state is encrypted and encryption is not configured"/,
    });
  });

  it("lengths beyond maxStreamBytes are refused before the bytes arrive", () => {
    const user = encodeStreamUserMsg(new Uint8Array(2000));
    assert.throws(() => readStreamMessage(user.subarray(0, 16), { maxStreamBytes: 1000 }), { name: "DecodeError", message: /larger than limit/ });
    assert.deepEqual(readStreamMessage(user.subarray(0, 16)), { done: false });
  });

  it("datagram-only types on a stream are refused", () => {
    assert.throws(
      () =>
        readStreamMessage(
          encodeMessage(MessageType.Alive, { Incarnation: 1, Node: "a", Addr: new Uint8Array(4), Port: 1, Meta: new Uint8Array(0), Vsn: new Uint8Array(6) }),
        ),
      {
        name: "DecodeError",
        message: /not supported on a stream/,
      },
    );
  });
});
