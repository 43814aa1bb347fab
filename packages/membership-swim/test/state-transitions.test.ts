import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Clock } from "@cachecluster/core";
import { VirtualScheduler, seededRandom } from "@cachecluster/testing/memory-network";
import { ipToBytes } from "../src/protocol/addr.js";
import { Awareness } from "../src/protocol/awareness.js";
import { LAN_TIMINGS } from "../src/protocol/config.js";
import { NodeTable } from "../src/protocol/node-table.js";
import type { NodeEvent } from "../src/protocol/node-state.js";
import { StateTransitions } from "../src/protocol/state-transitions.js";
import { ProtocolStats } from "../src/protocol/stats.js";
import { Timers } from "../src/protocol/timers.js";
import { MessageType, NodeStateType, decodeMessage, type Alive } from "../src/wire/index.js";
import { EventLoopModel } from "./helpers/event-loop.js";
import { recordingLogger } from "./helpers/parts.js";

const SELF = "self";
const VSN = Uint8Array.of(1, 5, 2, 0, 0, 0);

/** State transitions on a virtual scheduler's clock, or on `clock` (an EventLoopModel's). */
function setup(clockOverride?: Clock) {
  const scheduler = new VirtualScheduler(0);
  const clock = clockOverride ?? scheduler.clock();
  const random = seededRandom(3);
  const table = new NodeTable(random);
  const timers = new Timers(clock, random);
  timers.start();
  const stats = new ProtocolStats();
  const awareness = new Awareness(8);
  const logger = recordingLogger();
  const broadcasts: { name: string; type: number; body: unknown; onFinished: (() => void) | undefined }[] = [];
  let leaveSpread = 0;
  const transitions = new StateTransitions({
    config: { ...LAN_TIMINGS, name: SELF, clock, logger },
    table,
    stats,
    timers,
    awareness,
    broadcast: (name, msg, onFinished) => {
      const decoded = decodeMessage(msg);
      broadcasts.push({ name, type: decoded.type, body: decoded.body, onFinished });
    },
    onLeaveSpread: () => leaveSpread++,
  });
  const events: string[] = [];
  transitions.onEvent((e: NodeEvent) => events.push(`${e.type} ${e.node.name}`));
  const alive = (name: string, incarnation: number, ip = "10.0.0.2", extra: Partial<Alive> = {}): Alive => ({
    Incarnation: incarnation,
    Node: name,
    Addr: ipToBytes(ip),
    Port: 7946,
    Meta: new Uint8Array(0),
    Vsn: VSN,
    ...extra,
  });
  // ourselves, as start() announces us
  transitions.aliveNode(alive(SELF, transitions.nextIncarnation(), "10.0.0.1"), true);
  broadcasts.length = 0;
  events.length = 0;
  return { scheduler, table, stats, awareness, logger, broadcasts, events, transitions, alive, leaveSpread: () => leaveSpread };
}

describe("StateTransitions (memberlist state.go)", () => {
  it("an alive message about a new member adds it, emits join and is re-broadcast", () => {
    const { table, transitions, alive, events, broadcasts } = setup();
    transitions.aliveNode(alive("a", 1), false);
    assert.equal(table.get("a")?.state, NodeStateType.Alive);
    assert.deepEqual(events, ["join a"]);
    assert.deepEqual(
      broadcasts.map((b) => [b.name, b.type]),
      [["a", MessageType.Alive]],
    );
  });

  it("alive messages with an older or the same incarnation change nothing and are not re-broadcast", () => {
    const { table, transitions, alive, events, broadcasts } = setup();
    transitions.aliveNode(alive("a", 5), false);
    transitions.aliveNode(alive("a", 5, "10.0.0.2", { Meta: Uint8Array.of(1) }), false);
    transitions.aliveNode(alive("a", 4), false);
    assert.equal(table.get("a")?.incarnation, 5);
    assert.equal(table.get("a")?.meta.byteLength, 0);
    assert.equal(events.length, 1);
    assert.equal(broadcasts.length, 1);
  });

  it("a newer incarnation with new metadata updates the member and emits update", () => {
    const { table, transitions, alive, events } = setup();
    transitions.aliveNode(alive("a", 1), false);
    transitions.aliveNode(alive("a", 2, "10.0.0.2", { Meta: Uint8Array.of(7) }), false);
    assert.deepEqual([...table.get("a")!.meta], [7]);
    assert.deepEqual(events, ["join a", "update a"]);
  });

  it("a known name at another address is a conflict and ignored, unless that member has left", () => {
    const { table, stats, transitions, alive, events } = setup();
    transitions.aliveNode(alive("a", 1), false);
    transitions.aliveNode(alive("a", 9, "10.0.0.99"), false);
    assert.equal(table.get("a")?.ip, "10.0.0.2");
    assert.equal(stats.conflicts, 1);
    transitions.deadNode({ Incarnation: 1, Node: "a", From: "a" });
    transitions.aliveNode(alive("a", 2, "10.0.0.99"), false);
    assert.equal(table.get("a")?.ip, "10.0.0.99", "a member that left may come back elsewhere");
    assert.deepEqual(events, ["join a", "leave a", "join a"]);
  });

  it("impossible protocol versions and unreadable addresses are refused and counted", () => {
    const { table, stats, transitions, alive } = setup();
    transitions.aliveNode(alive("a", 1, "10.0.0.2", { Vsn: Uint8Array.of(3, 2, 2) }), false);
    transitions.aliveNode(alive("b", 1, "10.0.0.2", { Addr: Uint8Array.of(1, 2, 3) }), false);
    assert.equal(table.get("a"), undefined);
    assert.equal(table.get("b"), undefined);
    assert.equal(stats.badVersions, 1);
    assert.equal(stats.decodeErrors, 1);
  });

  it("a suspect member is declared dead when its suspicion times out (no confirmations: the upper bound)", async () => {
    const { scheduler, table, stats, transitions, alive, events, broadcasts } = setup();
    for (const name of ["a", "b", "c", "d", "e"]) transitions.aliveNode(alive(name, 1), false);
    events.length = 0;
    transitions.suspectNode({ Incarnation: 1, Node: "a", From: "b" });
    assert.equal(table.get("a")?.state, NodeStateType.Suspect);
    assert.equal(broadcasts.at(-1)?.type, MessageType.Suspect);
    // 6 members: min = 4 * max(1, log10 6) * 1 s = 4 s, max = 6 * min = 24 s
    await scheduler.runFor(23_900);
    assert.equal(table.get("a")?.state, NodeStateType.Suspect);
    await scheduler.runFor(200);
    assert.equal(table.get("a")?.state, NodeStateType.Dead);
    assert.equal(stats.deaths, 1);
    assert.deepEqual(events, ["leave a"]);
    assert.deepEqual(broadcasts.at(-1)?.body, { Incarnation: 1, Node: "a", From: SELF });
  });

  it("after a stall past the suspicion timeout, the refutation that arrived during it is read first: the member stays alive", async () => {
    const loop = new EventLoopModel();
    const { table, stats, transitions, alive, events } = setup(loop.clock);
    for (const name of ["a", "b", "c", "d", "e"]) transitions.aliveNode(alive(name, 1), false);
    events.length = 0;
    transitions.suspectNode({ Incarnation: 1, Node: "a", From: "b" });
    await loop.runFor(1000);
    // "a" refutes 1 s in, but this member is stalled from then until long after the 24 s upper bound
    loop.arrive(() => transitions.aliveNode(alive("a", 2), false));
    loop.stall(30_000);
    await loop.runFor(10);
    assert.equal(table.get("a")?.state, NodeStateType.Alive);
    assert.equal(stats.deaths, 0);
    assert.deepEqual(events, []);
  });

  it("independent confirmations of a suspicion shorten it toward the lower bound and are re-broadcast once each", async () => {
    const { scheduler, table, transitions, alive, broadcasts } = setup();
    for (const name of ["a", "b", "c", "d", "e"]) transitions.aliveNode(alive(name, 1), false);
    transitions.suspectNode({ Incarnation: 1, Node: "a", From: "b" });
    const before = broadcasts.length;
    transitions.suspectNode({ Incarnation: 1, Node: "a", From: "c" });
    transitions.suspectNode({ Incarnation: 1, Node: "a", From: "c" });
    transitions.suspectNode({ Incarnation: 1, Node: "a", From: "d" });
    assert.equal(broadcasts.length - before, 2, "two new confirmations, one repeat");
    await scheduler.runFor(4100); // k = 2 of 2 confirmations: the lower bound, 4 s
    assert.equal(table.get("a")?.state, NodeStateType.Dead);
  });

  it("an alive message with a higher incarnation ends a suspicion: the member is never declared dead", async () => {
    const { scheduler, table, transitions, alive } = setup();
    transitions.aliveNode(alive("a", 1), false);
    transitions.suspectNode({ Incarnation: 1, Node: "a", From: "b" });
    transitions.aliveNode(alive("a", 2), false);
    await scheduler.runFor(60_000);
    assert.equal(table.get("a")?.state, NodeStateType.Alive);
  });

  it("a rumour that we are suspect or dead is refuted with a higher incarnation, and lowers our health score", () => {
    const { table, stats, awareness, transitions, broadcasts } = setup();
    transitions.suspectNode({ Incarnation: 7, Node: SELF, From: "x" });
    assert.equal(table.get(SELF)?.incarnation, 8);
    assert.equal(table.get(SELF)?.state, NodeStateType.Alive);
    transitions.deadNode({ Incarnation: 8, Node: SELF, From: "x" });
    assert.equal(table.get(SELF)?.incarnation, 9);
    assert.equal(stats.refutations, 2);
    assert.equal(awareness.score, 2);
    assert.deepEqual(
      broadcasts.map((b) => [b.type, (b.body as Alive).Incarnation]),
      [
        [MessageType.Alive, 8],
        [MessageType.Alive, 9],
      ],
    );
  });

  it("a dead message from the member itself means it left; from anyone else, that it died", () => {
    const { table, stats, transitions, alive, events } = setup();
    transitions.aliveNode(alive("a", 1), false);
    transitions.aliveNode(alive("b", 1), false);
    transitions.deadNode({ Incarnation: 1, Node: "a", From: "a" });
    transitions.deadNode({ Incarnation: 1, Node: "b", From: "c" });
    assert.equal(table.get("a")?.state, NodeStateType.Left);
    assert.equal(table.get("b")?.state, NodeStateType.Dead);
    assert.equal(stats.deaths, 1);
    assert.deepEqual(events, ["join a", "join b", "leave a", "leave b"]);
  });

  it("once we left, our own death is broadcast (reporting when it has spread) and never refuted", () => {
    const { table, transitions, broadcasts, alive, leaveSpread } = setup();
    transitions.markLeft();
    transitions.deadNode({ Incarnation: 1, Node: SELF, From: SELF });
    assert.equal(table.get(SELF)?.state, NodeStateType.Left);
    const leave = broadcasts.at(-1)!;
    assert.equal(leave.type, MessageType.Dead);
    leave.onFinished?.();
    assert.equal(leaveSpread(), 1);
    transitions.aliveNode(alive(SELF, 5, "10.0.0.1"), false);
    assert.equal(table.get(SELF)?.state, NodeStateType.Left);
  });

  it("a merged remote state reads its dead members as suspect (they get a chance to refute), left as left", () => {
    const { table, transitions } = setup();
    const state = (name: string, State: NodeStateType) => ({
      Name: name,
      Addr: ipToBytes("10.0.0.3"),
      Port: 7946,
      Meta: new Uint8Array(0),
      Incarnation: 1,
      State,
      Vsn: VSN,
    });
    transitions.mergeState([state("a", NodeStateType.Alive), state("b", NodeStateType.Alive), state("c", NodeStateType.Alive)]);
    transitions.mergeState([state("a", NodeStateType.Dead), state("b", NodeStateType.Left), state("c", NodeStateType.Suspect), state("z", NodeStateType.Dead)]);
    assert.equal(table.get("a")?.state, NodeStateType.Suspect);
    assert.equal(table.get("b")?.state, NodeStateType.Left);
    assert.equal(table.get("c")?.state, NodeStateType.Suspect);
    assert.equal(table.get("z"), undefined, "news of an unknown member's death adds nothing");
  });

  it("a listener that throws is logged and does not keep the others from the event", () => {
    const { transitions, alive, events, logger } = setup();
    transitions.onEvent(() => {
      throw new Error("boom");
    });
    transitions.aliveNode(alive("a", 1), false);
    assert.deepEqual(events, ["join a"]);
    assert.ok(logger.lines.some((l) => l.level === "warn" && /listener threw/.test(l.msg)));
  });
});
