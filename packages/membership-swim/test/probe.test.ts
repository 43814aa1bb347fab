import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryNetwork } from "@cachecluster/testing/memory-network";
import { ipToBytes } from "../src/protocol/addr.js";
import { Awareness } from "../src/protocol/awareness.js";
import type { SwimNodeConfig } from "../src/protocol/config.js";
import { Diagnostics } from "../src/protocol/diagnostics.js";
import { Messenger } from "../src/protocol/messenger.js";
import { NodeTable } from "../src/protocol/node-table.js";
import { Prober } from "../src/protocol/probe.js";
import { ProtocolStats } from "../src/protocol/stats.js";
import { Timers } from "../src/protocol/timers.js";
import { UdpReachability } from "../src/protocol/udp-reachability.js";
import { MessageType, encodeMessage, encodePacket, type Suspect } from "../src/wire/index.js";
import { RawPeer, fineGrained, member, testConfig } from "./helpers/parts.js";

const EMPTY = new Uint8Array(0);

/** A prober on a memory network, its table holding the given raw peers; incoming datagrams routed to it. */
async function setup(peerCount: number, overrides: Partial<SwimNodeConfig> = {}) {
  const net = new MemoryNetwork({ seed: 9 });
  fineGrained(net.scheduler);
  const host = net.host();
  const config = testConfig(host, { name: "self", ...overrides });
  const stats = new ProtocolStats();
  const table = new NodeTable(host.random);
  const timers = new Timers(host.clock, host.random);
  const awareness = new Awareness(config.awarenessMaxMultiplier);
  const diagnostics = new Diagnostics(config, stats);
  const messenger = new Messenger(config, stats, table, timers, diagnostics, () => []);
  const suspected: Suspect[] = [];
  const reachability = new UdpReachability(config, table);
  const prober = new Prober({ config, stats, table, timers, messenger, awareness, diagnostics, reachability, suspect: (s) => suspected.push(s) });
  const socket = await host.network.bind(host.ip, 7946, {
    packet(data, from) {
      for (const msg of messenger.receive(data, from)) {
        if (msg.type === MessageType.AckResp) prober.handleAck(msg.body);
        else if (msg.type === MessageType.NackResp) prober.handleNack(msg.body);
        else if (msg.type === MessageType.Ping) prober.handlePing(msg.body, from);
        else if (msg.type === MessageType.IndirectPing) prober.handleIndirectPing(msg.body, from);
      }
    },
    stream() {},
  });
  messenger.attach(socket, { ip: host.ip, port: 7946 });
  timers.start();
  table.add(member("self", { ip: host.ip }));
  const peers: RawPeer[] = [];
  for (let i = 0; i < peerCount; i++) {
    const peer = await new RawPeer(net).bind();
    peers.push(peer);
    table.add(member(`p${i}`, { ip: peer.host.ip }));
  }
  /** Probe until `name` is the target (the order is shuffled), then let `ms` of virtual time pass. */
  const probe = async (name: string, ms = 2000): Promise<void> => {
    for (let i = 0; i < 50; i++) {
      const before = stats.probes;
      prober.tick();
      await net.scheduler.runFor(ms);
      assert.equal(stats.probes, before + 1);
      if (peers.some((p) => p.of(MessageType.Ping).some((m) => m.body.Node === name))) return;
    }
    assert.fail(`${name} was never probed`);
  };
  const reply = (peer: RawPeer, to: string, msg: Uint8Array): void => {
    for (const packet of encodePacket([msg])) peer.socket.sendPacket(to, packet);
  };
  return { net, host, stats, awareness, reachability, prober, peers, suspected, probe, reply, self: `${host.ip}:7946` };
}

/** Make `peer` answer every ping for its own name with an ack. */
function ackPings(peer: RawPeer, reply: (peer: RawPeer, to: string, msg: Uint8Array) => void, self: string): void {
  peer.onPacket = (msg) => {
    if (msg.type === MessageType.Ping) reply(peer, self, encodeMessage(MessageType.AckResp, { SeqNo: msg.body.SeqNo, Payload: EMPTY }));
  };
}

describe("Prober (memberlist probeNode)", () => {
  it("a member that acks the ping is not suspected, asked of no one else, and our health score drops", async () => {
    const { peers, probe, reply, self, suspected, stats, awareness } = await setup(4);
    awareness.applyDelta(3);
    for (const p of peers) ackPings(p, reply, self);
    await probe("p0");
    assert.deepEqual(suspected, []);
    assert.equal(stats.indirectProbes, 0);
    assert.ok(awareness.score < 3);
  });

  it("a member silent on UDP and TCP is pinged indirectly through indirectChecks alive members, then suspected", async () => {
    const { peers, probe, reply, self, suspected, stats } = await setup(5);
    const [target, ...others] = peers as [RawPeer, ...RawPeer[]];
    for (const p of others) ackPings(p, reply, self);
    await probe("p0");
    const asked = others.filter((p) => p.of(MessageType.IndirectPing).some((m) => m.body.Node === "p0"));
    assert.equal(asked.length, 3, "indirectChecks = 3 members asked");
    assert.equal(target.streams, 1, "one TCP fallback ping");
    assert.deepEqual(suspected, [{ Incarnation: 1, Node: "p0", From: "self" }]);
    assert.equal(stats.probeFailures, 1);
  });

  it("an ack relayed by an indirect prober saves the target", async () => {
    const { peers, probe, reply, self, suspected } = await setup(4);
    for (const p of peers.slice(1)) {
      p.onPacket = (msg) => {
        if (msg.type === MessageType.IndirectPing) reply(p, self, encodeMessage(MessageType.AckResp, { SeqNo: msg.body.SeqNo, Payload: EMPTY }));
        if (msg.type === MessageType.Ping) reply(p, self, encodeMessage(MessageType.AckResp, { SeqNo: msg.body.SeqNo, Payload: EMPTY }));
      };
    }
    await probe("p0");
    assert.deepEqual(suspected, []);
  });

  it("a member that answers only the TCP ping is not suspected; the UDP failure and the fallback are counted", async () => {
    const { peers, probe, suspected, stats, reachability } = await setup(3);
    const target = peers[0]!;
    target.onStream = (msg) => (msg.type === MessageType.Ping ? encodeStreamAck(msg.body.SeqNo) : undefined);
    await probe("p0");
    assert.deepEqual(suspected, []);
    assert.equal(stats.tcpFallbackSuccessesTotal, 1);
    assert.ok(stats.tcpFallbackPingsTotal >= 1);
    assert.equal(stats.udpProbeFailuresTotal, stats.probes, "no probe got a UDP ack");
    assert.equal(reachability.tcpOnlyMembers(), 1);
  });

  it("when every member answers only over TCP, UDP is reported unreachable; one UDP ack clears it", async () => {
    const { peers, prober, net, suspected, reachability, reply, self } = await setup(4);
    for (const p of peers) p.onStream = (msg) => (msg.type === MessageType.Ping ? encodeStreamAck(msg.body.SeqNo) : undefined);
    for (let i = 0; i < 3; i++) {
      prober.tick();
      await net.scheduler.runFor(2000);
    }
    assert.deepEqual(suspected, []);
    assert.equal(reachability.udpUnreachable, true);
    assert.deepEqual(
      reachability.issues().map((i) => i.code),
      ["swim-udp-unreachable"],
    );
    for (const p of peers) ackPings(p, reply, self);
    prober.tick();
    await net.scheduler.runFor(2000);
    assert.equal(reachability.udpUnreachable, false);
  });

  it("no TCP ping with disableTcpPings", async () => {
    const { peers, probe, suspected } = await setup(3, { disableTcpPings: true });
    await probe("p0");
    assert.equal(peers[0]!.streams, 0);
    assert.equal(suspected.length, 1);
  });

  it("missing nacks from indirect probers raise our health score (Lifeguard: we may be the slow one)", async () => {
    const { peers, probe, reply, self, awareness } = await setup(4);
    for (const p of peers.slice(1)) ackPings(p, reply, self); // alive, but they send no nack for p0
    await probe("p0");
    assert.equal(awareness.score, 3);
  });

  it("on a ping request it pings the target, relays the ack, and sends a nack when the target stays silent", async () => {
    const { net, peers, reply, self } = await setup(3);
    const [asker, target, silent] = peers as [RawPeer, RawPeer, RawPeer];
    ackPings(target, reply, self);
    const req = (SeqNo: number, to: RawPeer, name: string) =>
      encodeMessage(MessageType.IndirectPing, { SeqNo, Target: ipToBytes(to.host.ip), Port: 7946, Node: name, Nack: true });
    reply(asker, self, req(41, target, "p1"));
    reply(asker, self, req(42, silent, "p2"));
    await net.scheduler.runFor(2000);
    assert.deepEqual(
      asker.of(MessageType.AckResp).map((m) => m.body.SeqNo),
      [41],
    );
    assert.deepEqual(
      asker.of(MessageType.NackResp).map((m) => m.body.SeqNo),
      [42],
    );
  });

  it("a ping addressed to another member name is not answered and is counted", async () => {
    const { net, peers, reply, self, stats } = await setup(1);
    reply(peers[0]!, self, encodeMessage(MessageType.Ping, { SeqNo: 5, Node: "someone-else" }));
    reply(peers[0]!, self, encodeMessage(MessageType.Ping, { SeqNo: 6, Node: "self" }));
    await net.scheduler.runFor(100);
    assert.deepEqual(
      peers[0]!.of(MessageType.AckResp).map((m) => m.body.SeqNo),
      [6],
    );
    assert.equal(stats.unexpectedPings, 1);
  });

  it("a tick that comes during a probe runs right after it, not in parallel (a Go ticker's buffer of one)", async () => {
    const { net, prober, stats } = await setup(3);
    prober.tick();
    prober.tick();
    prober.tick();
    assert.equal(stats.probes, 1);
    await net.scheduler.runFor(1100);
    assert.equal(stats.probes, 2, "the buffered tick ran after the first probe ended; the third was dropped");
    await net.scheduler.runFor(2000);
    assert.equal(stats.probes, 2);
  });
});

function encodeStreamAck(seqNo: number): Uint8Array {
  return encodeMessage(MessageType.AckResp, { SeqNo: seqNo, Payload: EMPTY });
}
