import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryNetwork, seededRandom } from "@cachecluster/testing/memory-network";
import { Broadcasts } from "../src/protocol/broadcasts.js";
import type { SwimNodeConfig } from "../src/protocol/config.js";
import { NodeTable } from "../src/protocol/node-table.js";
import { Keyring, NodeStateType, encryptOverhead } from "../src/wire/index.js";
import { member, testConfig } from "./helpers/parts.js";

const news = (n: number, size = 100): Uint8Array => new Uint8Array(size).fill(n);

function setup(overrides: Partial<SwimNodeConfig> = {}, members = 10) {
  const host = new MemoryNetwork({ seed: 4 }).host();
  const config = testConfig(host, { name: "m0", ...overrides });
  const table = new NodeTable(seededRandom(2));
  for (let i = 0; i < members; i++) table.add(member(`m${i}`, { ip: `10.1.0.${i + 1}` }));
  const sent: { address: string; name: string; msgs: Uint8Array[] }[] = [];
  const broadcasts = new Broadcasts(config, table, (address, name, msgs) => sent.push({ address, name, msgs }));
  return { config, table, broadcasts, sent, now: () => host.clock.now() };
}

/** Bytes a datagram of these messages takes as a compound message (type, count, 2-byte lengths). */
const compoundSize = (msgs: readonly Uint8Array[]): number => 2 + msgs.reduce((sum, m) => sum + 2 + m.byteLength, 0);

describe("Broadcasts (memberlist broadcast.go and gossip)", () => {
  it("piggybacks as much news as fits in one datagram with the message it rides on", () => {
    const { broadcasts } = setup();
    for (let i = 0; i < 30; i++) broadcasts.queue(`m${i}`, news(i));
    const msg = new Uint8Array(200);
    const extra = broadcasts.piggyback(msg.byteLength);
    assert.ok(extra.length > 0);
    assert.ok(compoundSize([msg, ...extra]) <= 1400, `${compoundSize([msg, ...extra])} bytes`);
    assert.ok(compoundSize([msg, ...extra, news(0)]) > 1400, "and no further message would have fitted");
  });

  it("leaves room for the encryption overhead when it encrypts", () => {
    const key = new Keyring(new Uint8Array(16));
    const plain = setup();
    const encrypted = setup({ keyring: key });
    for (const { broadcasts } of [plain, encrypted]) for (let i = 0; i < 200; i++) broadcasts.queue(`m${i}`, news(i, 10));
    const a = plain.broadcasts.piggyback(0);
    const b = encrypted.broadcasts.piggyback(0);
    assert.ok(compoundSize(b) <= 1400 - encryptOverhead(1));
    assert.ok(b.length < a.length);
  });

  it("gossips queued news to at most gossipNodes members: alive, suspect or recently dead, never self or left", () => {
    const { table, broadcasts, sent, config, now } = setup({}, 8);
    table.get("m1")!.state = NodeStateType.Left;
    Object.assign(table.get("m2")!, { state: NodeStateType.Dead, stateChange: now() - config.gossipToTheDeadMs - 1 }); // long dead
    Object.assign(table.get("m3")!, { state: NodeStateType.Dead, stateChange: now() }); // just died: still told
    for (let round = 0; round < 40; round++) {
      broadcasts.queue("x", news(round));
      broadcasts.gossip();
    }
    const targets = new Set(sent.map((s) => s.name));
    assert.ok(sent.length > 0);
    assert.ok(!targets.has("m0") && !targets.has("m1") && !targets.has("m2"), [...targets].join());
    assert.ok(targets.has("m3"), "a member that just died still hears the news");
    const perRound = new Map<number, number>();
    for (const s of sent) perRound.set(s.msgs[0]![0]!, (perRound.get(s.msgs[0]![0]!) ?? 0) + 1);
    assert.ok([...perRound.values()].every((n) => n <= config.gossipNodes));
  });

  it("sends nothing when there is no news, and each piece of news only retransmitLimit times", () => {
    const { broadcasts, sent } = setup({ retransmitMult: 1 }, 9); // limit 1 * ceil(log10(10)) = 1
    broadcasts.gossip();
    assert.equal(sent.length, 0);
    let finished = 0;
    broadcasts.queue("x", news(1), () => finished++);
    for (let i = 0; i < 5; i++) broadcasts.gossip();
    assert.equal(sent.length, 1);
    assert.equal(finished, 1);
    assert.equal(broadcasts.size, 0);
  });
});
