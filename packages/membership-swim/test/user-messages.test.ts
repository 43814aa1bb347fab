import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { CacheClusterError, InvalidArgumentError } from "@cachecluster/core";
import { MemoryNetwork, seededRandom } from "@cachecluster/testing/memory-network";
import { Broadcasts } from "../src/protocol/broadcasts.js";
import { NodeTable } from "../src/protocol/node-table.js";
import { encryptOverhead, MessageType } from "../src/wire/index.js";
import { member, testConfig } from "./helpers/parts.js";
import { Sim, type SimMember } from "./helpers/sim.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (payload: Uint8Array): string => new TextDecoder().decode(payload);

/** Every user message each member receives, as [payload text, from]. */
function record(members: readonly SimMember[]): Map<string, [string, string | undefined][]> {
  const got = new Map<string, [string, string | undefined][]>();
  for (const m of members) {
    got.set(m.name, []);
    m.membership.onMessage((payload, from) => got.get(m.name)!.push([text(payload), from]));
  }
  return got;
}

function queueSetup(members: number, retransmitMult = 4, maxQueuedBroadcasts = 4096) {
  const host = new MemoryNetwork({ seed: 4 }).host();
  const config = testConfig(host, { name: "m0", retransmitMult, maxQueuedBroadcasts });
  const table = new NodeTable(seededRandom(2));
  for (let i = 0; i < members; i++) table.add(member(`m${i}`, { ip: `10.1.0.${i + 1}` }));
  const sent: Uint8Array[][] = [];
  const broadcasts = new Broadcasts(config, table, (_address, _name, msgs) => sent.push(msgs));
  return { broadcasts, sent };
}

const userFrame = (payload: string): Uint8Array => Uint8Array.of(MessageType.User, ...bytes(payload));

describe("user messages: memberlist's GetBroadcasts path for the delegate's queue", () => {
  it("hands out membership news first and user messages only in the room left, each costing its part length and type byte", () => {
    const { broadcasts } = queueSetup(10);
    for (let i = 0; i < 12; i++) broadcasts.queue(`m${i}`, new Uint8Array(100).fill(50 + i)); // 12 * 102 bytes of membership news
    broadcasts.queueUser(userFrame("u".repeat(150)));
    const out = broadcasts.piggyback(0);
    const membership = out.filter((m) => m[0] !== MessageType.User);
    const user = out.filter((m) => m[0] === MessageType.User);
    assert.equal(membership.length, 12, "all the membership news, first");
    assert.deepEqual(
      out.slice(0, 12).map((m) => m[0] === MessageType.User),
      new Array<boolean>(12).fill(false),
    );
    // 1400 - 2 (compound header) - 12 * 102 = 174 bytes left: the 151-byte user frame (+2) fits, nothing more
    assert.equal(user.length, 1);
    assert.equal(user[0]!.byteLength, 151);
    assert.equal(broadcasts.userSize, 1, "the user message stays queued for its retransmits");
  });

  it("sends a user message retransmitMult * ceil(log10(N + 1)) times, then drops it", () => {
    const { broadcasts, sent } = queueSetup(9, 2); // 2 * ceil(log10(10)) = 2
    broadcasts.queueUser(userFrame("hello"));
    for (let round = 0; round < 5; round++) broadcasts.gossip();
    assert.equal(sent.flat().filter((m) => text(m.subarray(1)) === "hello").length, 2);
    assert.equal(broadcasts.userSize, 0);
  });

  it("with a key, a newer broadcast replaces a queued one; without, each is kept", () => {
    const { broadcasts } = queueSetup(9);
    broadcasts.queueUser(userFrame("a1"), "a");
    broadcasts.queueUser(userFrame("a2"), "a");
    broadcasts.queueUser(userFrame("n1"));
    broadcasts.queueUser(userFrame("n1"));
    assert.deepEqual(
      broadcasts
        .piggyback(0)
        .map((m) => text(m.subarray(1)))
        .sort(),
      ["a2", "n1", "n1"],
    );
  });

  it("past maxQueuedBroadcasts, the oldest quarter is dropped and counted, the newest kept", () => {
    const { broadcasts } = queueSetup(9, 4, 8);
    const dropped: number[] = [];
    for (let i = 0; i < 9; i++) dropped.push(broadcasts.queueUser(userFrame(`b${i}`)));
    assert.deepEqual(dropped, [0, 0, 0, 0, 0, 0, 0, 0, 3], "the ninth pushes it over 8: down to 6");
    assert.deepEqual(
      broadcasts
        .piggyback(0)
        .map((m) => text(m.subarray(1)))
        .sort(),
      ["b3", "b4", "b5", "b6", "b7", "b8"],
    );
  });
});

describe("SwimMembership user messages on the in-memory network", () => {
  it("a broadcast reaches every other member, named as coming from the member that sent it, and never the sender", async () => {
    const sim = new Sim({ seed: 21 });
    const members = await sim.settled(4);
    const got = record(members);
    members[0]!.membership.broadcast(bytes("drop k1"));
    await sim.scheduler.runUntil(() => members.slice(1).every((m) => got.get(m.name)!.length > 0), 5_000);
    for (const m of members.slice(1)) assert.deepEqual(got.get(m.name)![0], ["drop k1", "m0"], m.name);
    assert.deepEqual(got.get("m0"), []);
    assert.equal(members[0]!.membership.stats().userBroadcastsQueued, 1);
    await sim.stopAll();
  });

  it("a payload of exactly maxBroadcastBytes is gossiped, one byte more is refused with an InvalidArgumentError", async () => {
    for (const secretKeys of [undefined, [randomBytes(32).toString("base64")]]) {
      const sim = new Sim({ seed: 22, swim: secretKeys === undefined ? { compress: false } : { compress: false, secretKeys } });
      const members = await sim.settled(3);
      const sender = members[0]!.membership;
      assert.equal(sender.maxBroadcastBytes, 1400 - 2 - 2 - 1 - (secretKeys === undefined ? 0 : encryptOverhead(1)));
      const got = record(members);
      const payload = randomBytes(sender.maxBroadcastBytes);
      sender.broadcast(payload);
      assert.throws(() => sender.broadcast(new Uint8Array(sender.maxBroadcastBytes + 1)), InvalidArgumentError);
      await sim.scheduler.runUntil(() => members.slice(1).every((m) => got.get(m.name)!.length > 0), 5_000);
      for (const m of members.slice(1)) assert.equal(got.get(m.name)![0]?.[0], text(payload), `${m.name}, keys: ${secretKeys !== undefined}`);
      await sim.stopAll();
    }
  });

  it("sendBestEffort and sendReliable reach the one member named, over UDP (with the sender) and TCP", async () => {
    const sim = new Sim({ seed: 23 });
    const members = await sim.settled(3);
    const got = record(members);
    members[0]!.membership.sendBestEffort("m1", bytes("udp"));
    await sim.scheduler.settle(members[0]!.membership.sendReliable("m2", bytes("tcp".repeat(10_000))));
    await sim.scheduler.runUntil(() => got.get("m1")!.length > 0 && got.get("m2")!.length > 0, 5_000);
    assert.deepEqual(got.get("m1"), [["udp", "m0"]]);
    assert.deepEqual(got.get("m2"), [["tcp".repeat(10_000), undefined]]);
    assert.deepEqual(got.get("m0"), []);
    assert.equal(members[0]!.membership.stats().userMessagesSent, 2);
    assert.equal(members[1]!.membership.stats().userMessagesReceived, 1);
    await sim.stopAll();
  });

  it("sending to a member that is not alive, or an oversized datagram, is a clear error", async () => {
    const sim = new Sim({ seed: 24 });
    const [a] = await sim.settled(2);
    const m = a!.membership;
    assert.throws(
      () => m.sendBestEffort("nobody", bytes("x")),
      (e: unknown) => e instanceof CacheClusterError && /no live member named "nobody"/.test(e.message),
    );
    await assert.rejects(m.sendReliable("nobody", bytes("x")), /no live member named "nobody"/);
    assert.throws(() => m.sendBestEffort("m1", new Uint8Array(m.maxBroadcastBytes + 1)), /at most 1395 bytes, got 1396/);
    assert.throws(() => m.broadcast("text" as unknown as Uint8Array), /expected the payload of broadcast\(\) to be a Uint8Array/);
    await sim.stopAll();
  });

  it("a listener that throws is logged and counted, and the other listeners still get the message", async () => {
    const sim = new Sim({ seed: 25 });
    const [a, b] = await sim.settled(2);
    b!.membership.onMessage(() => {
      throw new Error("listener bug");
    });
    const got: string[] = [];
    b!.membership.onMessage((payload) => got.push(text(payload)));
    a!.membership.sendBestEffort("m1", bytes("still delivered"));
    await sim.scheduler.runUntil(() => got.length > 0, 1_000);
    assert.deepEqual(got, ["still delivered"]);
    assert.equal(b!.membership.stats().delegateErrorsTotal, 1);
    await sim.stopAll();
  });

  it("broadcast() before start() says it needs start(); after stop() it does nothing", async () => {
    const sim = new Sim({ seed: 26 });
    const m = sim.create("m0").membership;
    assert.throws(
      () => m.broadcast(bytes("x")),
      (e: unknown) => e instanceof CacheClusterError && e.code === "CACHECLUSTER_NOT_STARTED",
    );
    await m.start();
    await m.stop();
    m.broadcast(bytes("x"));
  });
});
