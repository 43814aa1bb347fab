import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "@cachecluster/core";
import { VirtualScheduler, seededRandom } from "@cachecluster/testing/memory-network";
import { NodeTable } from "../src/protocol/node-table.js";
import { Reconnector } from "../src/protocol/reconnect.js";
import { ProtocolStats } from "../src/protocol/stats.js";
import { NodeStateType } from "../src/wire/index.js";
import { member } from "./helpers/parts.js";

const HOUR = 3600_000;

function setup() {
  const scheduler = new VirtualScheduler(0);
  const clock = scheduler.clock();
  const table = new NodeTable(seededRandom(8));
  const stats = new ProtocolStats();
  const dialled: string[] = [];
  const reconnector = new Reconnector({
    config: { name: "self", clock, random: seededRandom(5), logger: silentLogger, reconnectTimeoutMs: 6 * HOUR },
    stats,
    table,
    self: () => "10.0.0.1:7946",
    pushPull: async (address) => {
      dialled.push(address);
    },
  });
  table.add(member("self", { ip: "10.0.0.1" }));
  /** Mark `name` dead now and tell the reconnector, as the state machine does. */
  const fail = (name: string): void => {
    const node = table.get(name)!;
    Object.assign(node, { state: NodeStateType.Dead, stateChange: clock.now() });
    reconnector.onNodeEvent({ type: "leave", node });
  };
  const ticks = (n: number): Set<string> => {
    dialled.length = 0;
    for (let i = 0; i < n; i++) reconnector.tick();
    return new Set(dialled);
  };
  return { scheduler, table, stats, reconnector, fail, ticks };
}

describe("Reconnector (serf's reconnect: partition healing)", () => {
  it("re-dials seeds that are not live members, never ourselves or a seed that is one", () => {
    const { table, reconnector, ticks } = setup();
    table.add(member("a", { ip: "10.0.0.2" }));
    reconnector.addSeeds(["10.0.0.1:7946", "10.0.0.2:7946", "10.0.0.3:7946"]);
    assert.deepEqual(ticks(20), new Set(["10.0.0.3:7946"]));
  });

  it("re-dials failed members until reconnectTimeout, and forgets one that is back or has left", async () => {
    const { scheduler, table, stats, reconnector, fail, ticks } = setup();
    for (const [name, ip] of [
      ["a", "10.0.0.2"],
      ["b", "10.0.0.3"],
      ["c", "10.0.0.4"],
    ] as const)
      table.add(member(name, { ip }));
    fail("a");
    fail("b");
    fail("c");
    assert.deepEqual(ticks(30), new Set(["10.0.0.2:7946", "10.0.0.3:7946", "10.0.0.4:7946"]));
    table.get("a")!.state = NodeStateType.Alive;
    reconnector.onNodeEvent({ type: "join", node: table.get("a")! });
    table.get("b")!.state = NodeStateType.Left;
    assert.deepEqual(ticks(30), new Set(["10.0.0.4:7946"]));
    await scheduler.runFor(6 * HOUR + 1);
    assert.deepEqual(ticks(30), new Set());
    assert.ok(stats.reconnects > 0);
  });

  it("a member that left gracefully is not remembered as failed", () => {
    const { table, reconnector, ticks } = setup();
    table.add(member("a", { ip: "10.0.0.2" }));
    const node = table.get("a")!;
    node.state = NodeStateType.Left;
    reconnector.onNodeEvent({ type: "leave", node });
    assert.deepEqual(ticks(5), new Set());
  });

  it("does nothing, and counts nothing, with no seeds and no failures", () => {
    const { stats, ticks } = setup();
    assert.deepEqual(ticks(5), new Set());
    assert.equal(stats.reconnects, 0);
  });
});
