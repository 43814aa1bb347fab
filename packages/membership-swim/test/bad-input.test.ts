import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeMessage, encodePacket, encodePushPull, encodeStream, MessageType, NodeStateType } from "../src/wire/index.js";
import { ipToBytes } from "../src/protocol/addr.js";
import { Sim } from "./helpers/sim.js";

/** Two members on the memory network and a raw socket that sends them whatever it likes. */
async function setup() {
  const sim = new Sim({ seed: 5, swim: { compress: false } });
  const [a, b] = await sim.settled(2);
  const rogueHost = sim.net.host();
  const rogue = await rogueHost.network.bind(rogueHost.ip, 7946, { packet() {}, stream() {} });
  await sim.scheduler.runFor(3000);
  const send = (msgs: Uint8Array[]): void => {
    for (const packet of encodePacket(msgs)) rogue.sendPacket(a!.membership.address, packet);
  };
  return { sim, a: a!, b: b!, send, rogue };
}

describe("bad input at the protocol level", () => {
  it("garbage datagrams are dropped and counted, and the member keeps working", async () => {
    const { sim, a, b, rogue } = await setup();
    for (let i = 0; i < 200; i++) {
      const junk = new Uint8Array(1 + ((i * 37) % 300)).map((_, j) => (i * 31 + j * 17) & 255);
      rogue.sendPacket(a.membership.address, junk);
    }
    rogue.sendPacket(a.membership.address, new Uint8Array(0));
    await sim.scheduler.runFor(5000);
    const stats = a.membership.stats();
    assert.ok(stats.decodeErrors > 0, `decodeErrors ${stats.decodeErrors}`);
    assert.ok(stats.packetsDropped > 0, `packetsDropped ${stats.packetsDropped}`);
    assert.equal(a.membership.members().length, 2);
    assert.equal(b.membership.member(a.name)?.state, "alive");
    await sim.stopAll();
  });

  it("suspect and dead messages about unknown members change nothing", async () => {
    const { sim, a, send } = await setup();
    send([
      encodeMessage(MessageType.Suspect, { Incarnation: 9, Node: "nobody", From: "rogue" }),
      encodeMessage(MessageType.Dead, { Incarnation: 9, Node: "nobody", From: "rogue" }),
    ]);
    await sim.scheduler.runFor(2000);
    assert.equal(a.membership.member("nobody"), undefined);
    assert.equal(a.membership.members().length, 2);
    await sim.stopAll();
  });

  it("messages with stale incarnations are ignored; replaying them changes nothing", async () => {
    const { sim, a, b, send } = await setup();
    const incarnation = a.membership.member(b.name)!.incarnation;
    // b refutes a fresh suspicion, raising its incarnation
    send([encodeMessage(MessageType.Suspect, { Incarnation: incarnation, Node: b.name, From: "rogue" })]);
    await sim.scheduler.runFor(5000);
    const raised = a.membership.member(b.name)!.incarnation;
    assert.ok(raised > incarnation, "b refuted the suspicion with a higher incarnation");
    assert.equal(a.membership.member(b.name)?.state, "alive");
    for (let replay = 0; replay < 3; replay++) {
      send([
        encodeMessage(MessageType.Suspect, { Incarnation: incarnation, Node: b.name, From: "rogue" }),
        encodeMessage(MessageType.Dead, { Incarnation: incarnation, Node: b.name, From: "rogue" }),
      ]);
      await sim.scheduler.runFor(1000);
      assert.equal(a.membership.member(b.name)?.state, "alive");
      assert.equal(a.membership.member(b.name)?.incarnation, raised);
    }
    await sim.stopAll();
  });

  it("a member told it is dead refutes and stays alive everywhere", async () => {
    const { sim, a, b, send } = await setup();
    const before = a.membership.self().incarnation;
    send([encodeMessage(MessageType.Dead, { Incarnation: before, Node: a.name, From: "rogue" })]);
    await sim.scheduler.runFor(3000);
    assert.ok(a.membership.self().incarnation > before);
    assert.equal(a.membership.self().state, "alive");
    assert.equal(b.membership.member(a.name)?.state, "alive");
    assert.ok(a.membership.stats().refutations >= 1);
    await sim.stopAll();
  });

  it("an alive message claiming a known name from another address is a conflict and is ignored", async () => {
    const { sim, a, b, send } = await setup();
    const address = a.membership.member(b.name)!.address;
    send([
      encodeMessage(MessageType.Alive, {
        Incarnation: 99,
        Node: b.name,
        Addr: ipToBytes("10.9.9.9"),
        Port: 7946,
        Meta: new Uint8Array(0),
        Vsn: Uint8Array.of(1, 5, 2, 0, 0, 0),
      }),
    ]);
    await sim.scheduler.runFor(1000);
    assert.equal(a.membership.member(b.name)?.address, address);
    assert.ok(a.membership.stats().conflicts >= 1);
    await sim.stopAll();
  });

  it("pings for another member name are not answered, and counted", async () => {
    const { sim, a, send } = await setup();
    send([encodeMessage(MessageType.Ping, { SeqNo: 1, Node: "someone-else" })]);
    await sim.scheduler.runFor(500);
    assert.equal(a.membership.stats().unexpectedPings, 1);
    await sim.stopAll();
  });

  it("a push/pull carrying an incompatible protocol version is refused and merges nothing", async () => {
    const { sim, a, rogue } = await setup();
    const conn = await sim.scheduler.settle(rogue.dial(a.membership.address, 1000));
    const state = (name: string, vsn: number[]) => ({
      Name: name,
      Addr: ipToBytes("10.7.7.7"),
      Port: 7946,
      Meta: new Uint8Array(0),
      Incarnation: 1,
      State: NodeStateType.Alive,
      Vsn: Uint8Array.from(vsn),
    });
    conn.write(
      encodeStream(
        encodePushPull({ join: false, states: [state("ok", [1, 5, 2, 0, 0, 0]), state("future", [1, 5, 9, 0, 0, 0])], userState: new Uint8Array(0) }),
      ),
    );
    await sim.scheduler.runFor(1000);
    assert.equal(a.membership.member("ok"), undefined);
    assert.equal(a.membership.member("future"), undefined);
    assert.ok(a.membership.stats().badVersions >= 1);
    await sim.stopAll();
  });
});
