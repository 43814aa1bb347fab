import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "@cachecluster/testing/memory-network";
import { NodeTable } from "../src/protocol/node-table.js";
import { NodeStateType } from "../src/wire/index.js";
import { member } from "./helpers/parts.js";

function tableOf(names: readonly string[], seed = 1): NodeTable {
  const table = new NodeTable(seededRandom(seed));
  for (const name of names) table.add(member(name));
  return table;
}

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}`);

/** Probe targets until `count` were handed out (or none is left). */
function probeTargets(table: NodeTable, count: number, now = 0): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const target = table.nextProbeTarget("m0", now, 30_000);
    if (target === undefined) break;
    out.push(target.name);
  }
  return out;
}

describe("NodeTable (memberlist's nodes and nodeMap)", () => {
  it("lists every added member once, findable by name, new ones at random places", () => {
    const orders = new Set<string>();
    for (let seed = 1; seed <= 5; seed++) {
      const table = tableOf(names(20), seed);
      assert.equal(table.size, 20);
      assert.deepEqual(new Set(table.all().map((n) => n.name)), new Set(names(20)));
      assert.equal(table.get("m7")?.name, "m7");
      orders.add(
        table
          .all()
          .map((n) => n.name)
          .join(),
      );
    }
    assert.ok(orders.size > 1, "insertion places depend on the PRNG");
  });

  it("the probe visits every other live member once per round, skipping self, dead and left ones", () => {
    const table = tableOf(names(12));
    table.get("m3")!.state = NodeStateType.Dead;
    table.get("m4")!.state = NodeStateType.Left;
    table.get("m5")!.state = NodeStateType.Suspect;
    const live = names(12).filter((n) => !["m0", "m3", "m4"].includes(n));
    for (let round = 0; round < 3; round++) {
      const targets = probeTargets(table, live.length);
      assert.deepEqual([...targets].sort(), [...live].sort(), `round ${round} probes each live member once`);
    }
  });

  it("reshuffles between rounds, so the probe order is not fixed", () => {
    const table = tableOf(names(30));
    const rounds = new Set<string>();
    for (let round = 0; round < 4; round++) rounds.add(probeTargets(table, 29).join());
    assert.ok(rounds.size > 1);
  });

  it("forgets members dead for longer than gossipToTheDead when a round ends, and keeps the recently dead", () => {
    const table = tableOf(names(6));
    Object.assign(table.get("m1")!, { state: NodeStateType.Dead, stateChange: 0 });
    Object.assign(table.get("m2")!, { state: NodeStateType.Dead, stateChange: 50_000 });
    assert.equal(table.get("m1")?.state, NodeStateType.Dead, "listed until the round ends");
    probeTargets(table, 4, 60_000); // the round (m3, m4, m5), then the first of the next
    assert.equal(table.get("m1"), undefined, "dead for 60 s > 30 s: reaped");
    assert.equal(table.get("m2")?.state, NodeStateType.Dead, "dead for 10 s: kept, so its death still spreads");
    assert.equal(table.size, 5);
  });

  it("has no probe target when it holds only self and the dead", () => {
    const table = tableOf(["m0", "m1"]);
    table.get("m1")!.state = NodeStateType.Dead;
    assert.equal(table.nextProbeTarget("m0", 0, 30_000), undefined);
    assert.equal(table.anyLiveExcept("m0"), false);
    table.get("m1")!.state = NodeStateType.Suspect;
    assert.equal(table.anyLiveExcept("m0"), true);
  });

  it("kRandom picks at most k distinct members and never an excluded one", () => {
    for (let seed = 1; seed <= 50; seed++) {
      const table = tableOf(names(10), seed);
      const picked = table.kRandom(3, (n) => n.name === "m0" || n.name === "m1");
      assert.ok(picked.length <= 3);
      assert.equal(new Set(picked).size, picked.length);
      assert.ok(picked.every((n) => n.name !== "m0" && n.name !== "m1"));
    }
    assert.deepEqual(
      tableOf(names(4)).kRandom(3, () => true),
      [],
    );
    assert.equal(tableOf(names(2)).kRandom(5, () => false).length <= 2, true);
  });

  it("addAll adds only unknown members; version moves on every change so cached encodings go stale", () => {
    const table = tableOf(["a"]);
    const v0 = table.version;
    table.addAll([member("a", { incarnation: 9 }), member("b")]);
    assert.equal(table.size, 2);
    assert.equal(table.get("a")?.incarnation, 1, "a known member is not replaced");
    const v1 = table.version;
    assert.ok(v1 > v0);
    table.changed();
    assert.ok(table.version > v1);
  });
});
