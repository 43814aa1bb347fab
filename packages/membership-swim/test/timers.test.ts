import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VirtualScheduler, seededRandom } from "@cachecluster/testing/memory-network";
import { Timers } from "../src/protocol/timers.js";

function setup() {
  const scheduler = new VirtualScheduler(0);
  const timers = new Timers(scheduler.clock(), seededRandom(1));
  timers.start();
  return { scheduler, timers };
}

describe("Timers (a member's timers, stopped with it)", () => {
  it("a timer fires after its delay; one cancelled or pending at stop() never fires", async () => {
    const { scheduler, timers } = setup();
    const fired: string[] = [];
    timers.after(100, () => fired.push("a"));
    const b = timers.after(100, () => fired.push("b"));
    timers.after(300, () => fired.push("c"));
    timers.cancel(b);
    await scheduler.runFor(200);
    timers.stop();
    await scheduler.runFor(1000);
    assert.deepEqual(fired, ["a"]);
    assert.equal(timers.running, false);
    assert.equal(scheduler.pending, 0, "stop() cleared the clock's queue of our timers");
  });

  it("every() first fires at a random point within one interval, then once per interval; re-staggering moves it", async () => {
    const { scheduler, timers } = setup();
    const at: number[] = [];
    const restagger = timers.every(
      () => 1000,
      () => at.push(scheduler.now()),
    );
    await scheduler.runFor(5000);
    assert.ok(at[0]! < 1000);
    assert.deepEqual(
      at.slice(1).map((t, i) => t - at[i]!),
      Array.from({ length: at.length - 1 }, () => 1000),
    );
    const before = at.length;
    restagger();
    await scheduler.runFor(999);
    assert.ok(at.length - before <= 1, "after a re-stagger, at most one run within the next interval");
  });

  it("withTimeout rejects naming what timed out; sleep resolves after its delay", async () => {
    const { scheduler, timers } = setup();
    await assert.rejects(scheduler.settle(timers.withTimeout(new Promise(() => {}), 500, "dial 10.0.0.1:7946")), {
      message: "dial 10.0.0.1:7946: timed out after 500 ms",
    });
    assert.equal(await timers.withTimeout(Promise.resolve(7), 500, "x"), 7);
    const start = scheduler.now();
    await scheduler.settle(timers.sleep(250));
    assert.equal(scheduler.now() - start, 250);
  });
});
