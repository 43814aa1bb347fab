import type { StreamConnection } from "@cachecluster/core";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryNetwork } from "@cachecluster/testing/memory-network";
import { ipToBytes } from "../src/protocol/addr.js";
import { Awareness } from "../src/protocol/awareness.js";
import { Diagnostics } from "../src/protocol/diagnostics.js";
import { Messenger } from "../src/protocol/messenger.js";
import { NodeTable } from "../src/protocol/node-table.js";
import { PushPull } from "../src/protocol/push-pull.js";
import { StateTransitions } from "../src/protocol/state-transitions.js";
import { ProtocolStats } from "../src/protocol/stats.js";
import { Timers } from "../src/protocol/timers.js";
import { MessageType, NodeStateType, encodeMessage, encodePushPull, encodeStream, readStreamMessage, type PushNodeState } from "../src/wire/index.js";
import { RawPeer, fineGrained, testConfig } from "./helpers/parts.js";

const state = (name: string, ip: string, vsn = [1, 5, 2, 0, 0, 0], State: NodeStateType = NodeStateType.Alive): PushNodeState => ({
  Name: name,
  Addr: ipToBytes(ip),
  Port: 7946,
  Meta: new Uint8Array(0),
  Incarnation: 1,
  State,
  Vsn: Uint8Array.from(vsn),
});

const pushPullReply = (states: PushNodeState[]): Uint8Array => encodeStream(encodePushPull({ join: false, states, userState: new Uint8Array(0) }));

async function setup() {
  const net = new MemoryNetwork({ seed: 6 });
  fineGrained(net.scheduler);
  const host = net.host();
  const config = testConfig(host, { name: "self", compress: false });
  const stats = new ProtocolStats();
  const table = new NodeTable(host.random);
  const timers = new Timers(host.clock, host.random);
  const diagnostics = new Diagnostics(config, stats);
  const messenger = new Messenger(config, stats, table, timers, diagnostics, () => []);
  const transitions = new StateTransitions({
    config,
    table,
    stats,
    timers,
    awareness: new Awareness(8),
    broadcast: () => {},
    onLeaveSpread: () => {},
  });
  const pushPull = new PushPull({ config, stats, table, messenger, transitions, diagnostics });
  const incoming: { handler: (conn: StreamConnection) => void } = { handler: (conn) => conn.close() };
  const socket = await host.network.bind(host.ip, 7946, { packet() {}, stream: (conn) => incoming.handler(conn) });
  messenger.attach(socket, { ip: host.ip, port: 7946 });
  timers.start();
  transitions.aliveNode(
    { Incarnation: 1, Node: "self", Addr: ipToBytes(host.ip), Port: 7946, Meta: new Uint8Array(0), Vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) },
    true,
  );
  const peer = await new RawPeer(net).bind();
  const pushed: PushNodeState[][] = [];
  peer.onStream = (msg) => {
    if (msg.type === MessageType.PushPull) pushed.push(msg.body.states);
    return pushPullReply([state("peer", peer.host.ip), state("other", "10.5.0.1")]);
  };
  return { net, host, table, stats, pushPull, peer, pushed, incoming };
}

describe("PushPull (memberlist pushPullNode and handleConn)", () => {
  it("a join swaps states with each seed, merges what they know, and counts the seeds that answered", async () => {
    const { net, table, pushPull, peer, pushed } = await setup();
    const { reached, failures } = await net.scheduler.settle(pushPull.join([peer.address, "10.99.0.1:7946"], "self-address"));
    assert.equal(reached, 1, "the unreachable seed is not counted");
    assert.deepEqual(failures, [], "nor is it a failure of anyone's configuration");
    assert.deepEqual(
      pushed[0]?.map((s) => s.Name),
      ["self"],
      "our own state went to the seed",
    );
    assert.equal(table.get("peer")?.state, NodeStateType.Alive);
    assert.equal(table.get("other")?.state, NodeStateType.Alive);
  });

  it("never dials its own address", async () => {
    const { net, pushPull, peer } = await setup();
    assert.equal((await net.scheduler.settle(pushPull.join([peer.address], peer.address))).reached, 0);
    assert.equal(peer.streams, 0);
  });

  it("answering a push/pull writes our state back, then merges the remote state", async () => {
    const { net, host, table, pushPull, peer, incoming } = await setup();
    incoming.handler = (conn) => pushPull.answer(conn, { join: false, states: [state("far", "10.6.0.1")], userState: new Uint8Array(0) });
    const reply = new Promise<Uint8Array>((resolve) => {
      void peer.socket.dial(`${host.ip}:7946`, 1000).then((conn: StreamConnection) => conn.setHandlers({ data: resolve, end: () => {} }));
    });
    const read = readStreamMessage(await net.scheduler.settle(reply));
    assert.ok(read.done && read.message.type === MessageType.PushPull);
    assert.deepEqual(
      read.message.body.states.map((s) => s.Name),
      ["self"],
    );
    assert.equal(table.get("far")?.state, NodeStateType.Alive);
  });

  it("refuses a remote state with incompatible protocol versions and merges none of it", async () => {
    const { net, table, stats, pushPull, peer } = await setup();
    peer.onStream = () => pushPullReply([state("ok", "10.7.0.1"), state("future", "10.7.0.2", [1, 5, 9, 0, 0, 0])]);
    await assert.rejects(net.scheduler.settle(pushPull.pushPullNode(peer.address, false)), { name: "DecodeError", message: /protocol version \(9\)/ });
    assert.equal(table.get("ok"), undefined);
    assert.equal(stats.badVersions, 1);
    assert.equal(stats.pushPullFailures, 1);
  });

  it("a remote error reply rejects with the remote's text", async () => {
    const { net, pushPull, peer } = await setup();
    peer.onStream = () => encodeMessage(MessageType.Err, { Error: "Remote state is encrypted and encryption is not configured" });
    await assert.rejects(net.scheduler.settle(pushPull.pushPullNode(peer.address, true)), {
      message: "remote error: Remote state is encrypted and encryption is not configured",
    });
  });

  it("a join lists the seeds whose answers could not be used, with what that says about the configuration", async () => {
    const { net, pushPull, peer, stats } = await setup();
    peer.onStream = () => encodeMessage(MessageType.Err, { Error: "No installed keys could decrypt the message" });
    const { reached, failures } = await net.scheduler.settle(pushPull.join([peer.address], "self-address"));
    assert.equal(reached, 0);
    assert.deepEqual(
      failures.map((f) => [f.failure.address, f.failure.problem]),
      [[peer.address, "keys-differ"]],
    );
    assert.match(failures[0]!.failure.message, /it cannot decrypt what this member sends .*: the gossip keys differ/);
    assert.equal(stats.remoteErrorsTotal, 1);
  });

  it("the periodic push/pull picks one alive member, never itself or a dead one", async () => {
    const { net, table, pushPull, peer } = await setup();
    table.add({ ...table.get("self")!, name: "dead", ip: "10.8.0.1", addr: ipToBytes("10.8.0.1"), state: NodeStateType.Dead });
    peer.onStream = () => pushPullReply([state("peer", peer.host.ip)]);
    pushPull.tick();
    await net.scheduler.runFor(100);
    assert.equal(peer.streams, 0, "no alive member yet");
    await net.scheduler.settle(pushPull.pushPullNode(peer.address, false));
    for (let i = 0; i < 5; i++) pushPull.tick();
    await net.scheduler.runFor(1000);
    assert.equal(peer.streams, 6, "each tick went to the one alive member");
  });
});
