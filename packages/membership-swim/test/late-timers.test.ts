import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Awareness } from "../src/protocol/awareness.js";
import { StallDetector } from "../src/protocol/stall-detector.js";
import { ProtocolStats } from "../src/protocol/stats.js";
import { MAX_LATE_TURNS, Timers } from "../src/protocol/timers.js";
import { EventLoopModel } from "./helpers/event-loop.js";

function setup() {
  const loop = new EventLoopModel();
  const timers = new Timers(loop.clock, () => 0);
  timers.start();
  const lateness: number[] = [];
  timers.onLate((ms) => lateness.push(ms));
  return { loop, timers, lateness };
}

describe("Timers after a stalled event loop (a late timer re-checks after one I/O turn)", () => {
  /**
   * A 500 ms timeout of `kind`; 10 ms in, the ack arrives (it cancels the timeout when read), and the loop
   * stalls for 2 s with the ack waiting in the socket; then the loop runs `turns` turns. What ran, in order.
   */
  async function ackDuringStall(kind: "after" | "deadline", turns: number) {
    const { loop, timers, lateness } = setup();
    const seen: string[] = [];
    const timeout = timers[kind](500, () => seen.push("timeout"));
    await loop.runFor(10);
    loop.arrive(() => {
      timers.noteInput();
      timers.cancel(timeout);
      seen.push("ack");
    });
    loop.stall(2000);
    await loop.runFor(turns);
    return { seen, lateness };
  }

  it("the race itself: a plain timer that fires late runs before the ack already waiting in the socket", async () => {
    const { seen } = await ackDuringStall("after", 1);
    assert.deepEqual(seen, ["timeout", "ack"]);
  });

  it("a late deadline lets the ack that arrived in time cancel it: the timeout never runs", async () => {
    const { seen, lateness } = await ackDuringStall("deadline", 10);
    assert.deepEqual(seen, ["ack"]);
    assert.deepEqual(lateness, [1511], "the lateness is measured against the clock");
  });

  it("a late deadline with nothing waiting fires one I/O turn later; an on-time one fires on time", async () => {
    const { loop, timers, lateness } = setup();
    const firedAt: number[] = [];
    timers.deadline(100, () => firedAt.push(loop.now()));
    await loop.runFor(200);
    assert.deepEqual(firedAt, [100]);
    assert.deepEqual(lateness, []);
    timers.deadline(100, () => firedAt.push(loop.now()));
    loop.stall(1000);
    await loop.turn();
    assert.equal(firedAt.length, 1, "not in the turn it was found late");
    await loop.runFor(1);
    assert.deepEqual(firedAt, [100, 1201]);
  });

  it("while input keeps arriving a late deadline waits, but at most MAX_LATE_TURNS turns", async () => {
    const { loop, timers } = setup();
    let fired = false;
    timers.deadline(100, () => (fired = true));
    loop.stall(1000);
    let turns = 0;
    while (!fired && turns < 10 * MAX_LATE_TURNS) {
      loop.arrive(() => timers.noteInput());
      await loop.runFor(1);
      turns++;
    }
    assert.ok(fired);
    assert.ok(turns <= MAX_LATE_TURNS + 1, `fired after ${turns} turns`);
  });

  it("a deadline cancelled while it waits for its I/O turn, or pending at stop(), never fires", async () => {
    const { loop, timers } = setup();
    let fired = 0;
    const a = timers.deadline(100, () => fired++);
    timers.deadline(100, () => fired++);
    loop.stall(500);
    await loop.turn();
    timers.cancel(a);
    timers.stop();
    await loop.runFor(100);
    assert.equal(fired, 0);
  });

  it("withTimeout is a deadline: a reply that arrived in time wins over a late timeout", async () => {
    const { loop, timers } = setup();
    let reply: (v: string) => void = () => {};
    const result = timers.withTimeout(new Promise<string>((resolve) => (reply = resolve)), 500, "read");
    loop.arrive(() => reply("ok"));
    loop.stall(3000);
    await loop.runFor(5);
    assert.equal(await result, "ok");
  });
});

describe("StallDetector (Lifeguard: a member that finds its own timers late is the slow one)", () => {
  it("lateness of probeTimeout/5 or more raises the health score, once per probe interval; less is only recorded", async () => {
    const loop = new EventLoopModel();
    const awareness = new Awareness(8);
    const stats = new ProtocolStats();
    const detector = new StallDetector({ clock: loop.clock, probeTimeoutMs: 500, probeIntervalMs: 1000 }, awareness, stats);
    detector.late(99);
    assert.equal(awareness.score, 0);
    assert.equal(stats.maxTimerLatenessMs, 99);
    detector.late(100);
    detector.late(2500); // the other timers found late after the same stall
    assert.equal(awareness.score, 1);
    assert.equal(stats.stallsTotal, 1);
    await loop.runFor(1000);
    detector.late(300);
    assert.equal(awareness.score, 2);
    assert.equal(stats.stallsTotal, 2);
    assert.equal(stats.maxTimerLatenessMs, 2500);
  });
});
