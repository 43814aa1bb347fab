import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryNetwork } from "@cachecluster/testing/memory-network";
import { ipToBytes } from "../src/protocol/addr.js";
import type { SwimNodeConfig } from "../src/protocol/config.js";
import { SwimNode } from "../src/protocol/swim-node.js";
import { MessageType, NodeStateType, encodeMessage, encodePacket, encodePushPull, encodeStream, readStreamMessage } from "../src/wire/index.js";
import { RawPeer, testConfig } from "./helpers/parts.js";

function setup(overrides: Partial<SwimNodeConfig> = {}) {
  const net = new MemoryNetwork({ seed: 12 });
  const node = (name: string): SwimNode => new SwimNode(testConfig(net.host(), { name, ...overrides }));
  return { net, node };
}

/** Write `msg` on a new stream to `address` and resolve with the message read back. */
async function ask(peer: RawPeer, address: string, msg: Uint8Array) {
  const conn = await peer.socket.dial(address, 1000);
  return new Promise<ReturnType<typeof readStreamMessage>>((resolve) => {
    let buf = new Uint8Array(0);
    conn.setHandlers({
      data: (chunk) => {
        buf = Uint8Array.from([...buf, ...chunk]);
        const read = readStreamMessage(buf);
        if (read.done) resolve(read);
      },
      end: () => resolve({ done: false }),
    });
    conn.write(msg);
  });
}

describe("SwimNode (lifecycle and routing)", () => {
  it("start() binds and announces itself alive at incarnation 1; a second start() is a no-op", async () => {
    const { node } = setup();
    const a = node("a");
    await a.start();
    await a.start();
    assert.equal(a.running, true);
    assert.equal(a.self()?.state, NodeStateType.Alive);
    assert.equal(a.self()?.incarnation, 1);
    assert.match(a.address, /^10\.0\.0\.\d+:7946$/);
    assert.equal(a.boundPort, 7946);
    await a.shutdown();
  });

  it("after shutdown() (safe twice) it sends nothing and answers nothing", async () => {
    const { net, node } = setup();
    const [a, b] = [node("a"), node("b")];
    await a.start();
    await b.start();
    await net.scheduler.settle(b.join([a.address]));
    await net.scheduler.runFor(5000);
    await a.shutdown();
    await a.shutdown();
    await b.shutdown();
    const sent = net.stats.packetsSent;
    await net.scheduler.runFor(60_000);
    assert.equal(net.stats.packetsSent, sent);
    assert.equal(a.running, false);
  });

  it("routes datagrams to the state machine and the prober: news of a member adds it, a ping is acked", async () => {
    const { net, node } = setup();
    const a = node("a");
    await a.start();
    const peer = await new RawPeer(net).bind();
    const alive = encodeMessage(MessageType.Alive, {
      Incarnation: 3,
      Node: "p",
      Addr: ipToBytes(peer.host.ip),
      Port: 7946,
      Meta: new Uint8Array(0),
      Vsn: Uint8Array.of(1, 5, 2, 0, 0, 0),
    });
    const ping = encodeMessage(MessageType.Ping, { SeqNo: 77, Node: "a" });
    for (const packet of encodePacket([alive, ping])) peer.socket.sendPacket(a.address, packet);
    await net.scheduler.runFor(100);
    assert.equal(a.node("p")?.incarnation, 3);
    assert.ok(peer.of(MessageType.AckResp).some((m) => m.body.SeqNo === 77));
    assert.equal(a.stats.messagesReceived, 2);
    await a.shutdown();
  });

  it("answers a stream ping with an ack and a stream push/pull with its state", async () => {
    const { net, node } = setup();
    const a = node("a");
    await a.start();
    const peer = await new RawPeer(net).bind();
    const ack = await net.scheduler.settle(ask(peer, a.address, encodeStream(encodeMessage(MessageType.Ping, { SeqNo: 9, Node: "a" }))));
    assert.ok(ack.done && ack.message.type === MessageType.AckResp && ack.message.body.SeqNo === 9);
    const state = await net.scheduler.settle(ask(peer, a.address, encodeStream(encodePushPull({ join: true, states: [], userState: new Uint8Array(0) }))));
    assert.ok(state.done && state.message.type === MessageType.PushPull);
    assert.deepEqual(
      state.message.body.states.map((s) => s.Name),
      ["a"],
    );
    assert.equal(a.stats.streamsAccepted, 2);
    await a.shutdown();
  });

  it("leave() spreads our departure (others see left, not failed) and returns once it went out", async () => {
    const { net, node } = setup();
    const [a, b, c] = [node("a"), node("b"), node("c")];
    for (const n of [a, b, c]) await n.start();
    await net.scheduler.settle(b.join([a.address]));
    await net.scheduler.settle(c.join([a.address]));
    await net.scheduler.runFor(5000);
    const start = net.scheduler.now();
    await net.scheduler.settle(a.leave(60_000));
    assert.ok(net.scheduler.now() - start < 60_000, "returned before the timeout");
    assert.equal(a.left, true);
    await net.scheduler.runFor(2000);
    assert.equal(b.node("a")?.state, NodeStateType.Left);
    assert.equal(c.node("a")?.state, NodeStateType.Left);
    for (const n of [a, b, c]) await n.shutdown();
  });

  it("updateMeta() re-announces us with a higher incarnation, and members see the new metadata", async () => {
    const { net, node } = setup();
    const [a, b] = [node("a"), node("b")];
    await a.start();
    await b.start();
    await net.scheduler.settle(b.join([a.address]));
    const updates: string[] = [];
    b.onEvent((e) => e.type === "update" && updates.push(e.node.name));
    a.updateMeta(Uint8Array.of(1, 2, 3));
    await net.scheduler.runFor(3000);
    assert.deepEqual([...(b.node("a")?.meta ?? [])], [1, 2, 3]);
    assert.deepEqual(updates, ["a"]);
    assert.equal(a.self()?.incarnation, 2);
    await a.shutdown();
    await b.shutdown();
  });
});
