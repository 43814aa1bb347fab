/**
 * A real hashicorp/memberlist 0.2.2 node (packages/testing/go/memberlist-wire-live, in-process transport) takes our datagrams
 * and streams, and every byte it sends back decodes with our wire layer: with and without encryption,
 * compression and CRC.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Keyring,
  MessageType,
  decodePacket,
  decryptPayload,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStream,
  readStreamMessage,
  type PacketMessage,
} from "../src/wire/index.js";
import { hex, runGo, unhex } from "./wire-support.js";

interface LiveAnswer {
  sent: { addr: string; hex: string }[] | null;
  streamReplies: string[];
  streamErrors: string[];
  members: { name: string; addr: string; port: number; meta: string; state: number; vsn: number[] }[];
}

const VSN = new Uint8Array([1, 5, 2, 0, 0, 0]);
// Long and repetitive, so memberlist's gossip of it compresses.
const META = new TextEncoder().encode("hello ".repeat(40));
const key = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

for (const secure of [true, false]) {
  const keyring = secure ? new Keyring(key) : undefined;
  const enc = keyring === undefined ? {} : { keyring };
  describe(`a live Go memberlist node ${secure ? "with encryption, compression and CRC" : "in plaintext"}`, () => {
    it("joins our node from an alive, acks our ping, runs our indirect ping, and sends only datagrams we decode", async () => {
      const alive = encodeMessage(MessageType.Alive, {
        Incarnation: 1,
        Node: "ts-node",
        Addr: new Uint8Array([127, 0, 0, 2]),
        Port: 7946,
        Meta: META,
        Vsn: VSN,
      });
      const ping = encodeMessage(MessageType.Ping, { SeqNo: 42, Node: "go-node" });
      const indirect = encodeMessage(MessageType.IndirectPing, { SeqNo: 77, Target: new Uint8Array([127, 0, 0, 3]), Port: 7946, Node: "ghost", Nack: true });
      const packets = [...encodePacket([alive, ping], { crc: secure, compress: secure, ...enc }), ...encodePacket([indirect], { crc: secure, ...enc })];
      assert.equal(packets.length, 2);
      const answer = await runGo<LiveAnswer>("memberlist-wire-live", {
        key: secure ? hex(key) : "",
        compression: secure,
        packets: packets.map(hex),
        streams: [],
        waitMs: 1500,
      });

      const ts = answer.members.find((m) => m.name === "ts-node");
      assert.deepEqual(ts, { name: "ts-node", addr: "127.0.0.2", port: 7946, meta: hex(META), state: 0, vsn: [1, 5, 2, 0, 0, 0] });

      const sent = answer.sent ?? [];
      assert.ok(sent.length > 0);
      const received: { addr: string; msg: PacketMessage }[] = [];
      let withCrc = 0;
      let compressed = 0;
      for (const s of sent) {
        const bytes = unhex(s.hex);
        const decoded = decodePacket(bytes, enc);
        assert.deepEqual(decoded.errors, []);
        for (const msg of decoded.messages) received.push({ addr: s.addr, msg });
        const plain = keyring === undefined ? bytes : decryptPayload(keyring.getKeys(), bytes);
        if (plain[0] === MessageType.HasCrc) withCrc++;
        if (plain[0] === MessageType.Compress || (plain[0] === MessageType.HasCrc && plain[5] === MessageType.Compress)) compressed++;
      }
      // memberlist adds a CRC when it finds the peer by name and it speaks protocol 5 (our alive said PMax 5):
      // its gossip to ts-node has one (its ack, addressed by IP only, does not).
      assert.ok(withCrc > 0, "no datagram with a CRC");
      if (secure) assert.ok(compressed > 0, "no compressed datagram");
      const to = (addr: string, type: number): PacketMessage[] => received.filter((r) => r.addr === addr && r.msg.type === type).map((r) => r.msg);
      assert.deepEqual(to("127.0.0.2:7946", MessageType.AckResp)[0]?.body, { SeqNo: 42, Payload: new Uint8Array(0) });
      const relayed = to("127.0.0.3:7946", MessageType.Ping)[0]?.body as { Node: string } | undefined;
      assert.equal(relayed?.Node, "ghost");
      assert.deepEqual(to("127.0.0.2:7946", MessageType.NackResp)[0]?.body, { SeqNo: 77 });
    });

    it("merges our push/pull stream, answers with its state, and answers a stream ping", async () => {
      const state = {
        Name: "ts-node-2",
        Addr: new Uint8Array([127, 0, 0, 4]),
        Port: 7946,
        Meta: new Uint8Array([1, 2]),
        Incarnation: 3,
        State: 0 as const,
        Vsn: VSN,
      };
      const pushPull = encodeStream(encodePushPull({ join: true, states: [state], userState: new Uint8Array(0) }), { compress: secure, ...enc });
      const ping = encodeStream(encodeMessage(MessageType.Ping, { SeqNo: 7, Node: "go-node" }), { compress: secure, ...enc });
      const answer = await runGo<LiveAnswer>("memberlist-wire-live", {
        key: secure ? hex(key) : "",
        compression: secure,
        packets: [],
        streams: [hex(pushPull), hex(ping)],
        waitMs: 0,
      });

      assert.deepEqual(answer.streamErrors, ["", ""]);
      const reply = unhex(answer.streamReplies[0] ?? "");
      assert.equal(reply[0], secure ? MessageType.Encrypt : MessageType.PushPull);
      const read = readStreamMessage(reply, enc);
      assert.ok(read.done);
      assert.equal(read.consumed, reply.length);
      assert.equal(read.message.type, MessageType.PushPull);
      const names = read.message.type === MessageType.PushPull ? read.message.body.states.map((s) => s.Name).sort() : [];
      assert.deepEqual(names, ["go-node"]);
      assert.ok(answer.members.some((m) => m.name === "ts-node-2" && m.addr === "127.0.0.4" && m.meta === "0102"));

      const ack = readStreamMessage(unhex(answer.streamReplies[1] ?? ""), enc);
      assert.deepEqual(ack.done && ack.message, { type: MessageType.AckResp, body: { SeqNo: 7, Payload: new Uint8Array(0) } });
    });
  });
}
