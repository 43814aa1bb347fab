import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { FakeGce } from "@cachecluster/testing/fake-gce";
import { GceDiscovery } from "../src/index.js";
import { VirtualScheduler, seededRandom } from "@cachecluster/testing/memory-network";
import { MemoryLogger, startFake, warmUp } from "./helpers.js";

const HOUR = 3_600_000;
/** Documented default of the Compute API: list (read) requests per minute per project. */
const DEFAULT_QUOTA_PER_MINUTE = 1_500;

/** Runs one virtual hour of a discovery with default options against the fake; returns the list calls it made. */
async function callsInOneHour(gce: FakeGce, options: Record<string, unknown> = {}): Promise<{ calls: number; refreshes: number; period: number }> {
  const scheduler = new VirtualScheduler(0);
  // Defaults throughout, except where the fake lives.
  const discovery = new GceDiscovery({
    options: { ...gce.computeClientOptions(), ...options },
    clock: scheduler.clock(),
    random: seededRandom(42),
    logger: new MemoryLogger(),
  });
  await discovery.start();
  try {
    for (let i = 0; i < 10_000; i++) {
      const at = scheduler.nextAt();
      if (at === undefined || at >= HOUR) break;
      scheduler.runNext();
      await discovery.whenIdle();
    }
    const stats = discovery.stats();
    assert.equal(stats.failures, 0, String(stats.lastError));
    return { calls: gce.computeRequests().length, refreshes: stats.refreshes, period: stats.nextRefreshMs ?? 0 };
  } finally {
    await discovery.stop();
  }
}

describe("API budget: list calls per node per hour with default options", () => {
  let gce: FakeGce;
  let close: () => Promise<void>;

  before(async () => {
    ({ gce, close } = await startFake({ self: { name: "node-0000" } }));
    await warmUp();
  });
  after(async () => close());
  afterEach(() => gce.reset());

  it("a small fleet (10 nodes, one zone) makes about 60 list calls per node per hour (every 60 s ± 10 %)", async (t) => {
    gce.addInstances(9, "node");
    const { calls, refreshes } = await callsInOneHour(gce);
    t.diagnostic(`10 nodes: ${calls} list calls per node per hour (${refreshes} refreshes)`);
    assert.ok(calls >= 55 && calls <= 67, `${calls} calls`);
  });

  it("a 1,000-node fleet stays within a third of the default 1,500 list calls per minute per project", async (t) => {
    gce.addInstances(999, "node");
    const { calls, refreshes, period } = await callsInOneHour(gce);
    const fleetPerMinute = (calls * 1_000) / 60;
    t.diagnostic(
      `1,000 nodes: ${calls} list calls per node per hour (${refreshes} refreshes of 2 pages, period ~${Math.round(period / 1000)} s); fleet ${fleetPerMinute.toFixed(0)} calls/min`,
    );
    // 2 pages per refresh; period stretched to 1000 × 2 / 500 min = 240 s (± 10 % jitter) → ~15 refreshes → ~30 calls.
    assert.ok(calls >= 26 && calls <= 36, `${calls} calls`);
    assert.ok(fleetPerMinute <= DEFAULT_QUOTA_PER_MINUTE / 2.5, `fleet would make ${fleetPerMinute} calls/min`);
  });

  it("the budget option sets the period: 100 nodes with a budget of 50 calls/min refresh every 120 s", async () => {
    gce.addInstances(99, "node");
    const { calls } = await callsInOneHour(gce, { apiBudgetPerMinute: 50 });
    // 100 nodes × 1 call / 50 per minute = 2 min → ~30 refreshes an hour.
    assert.ok(calls >= 26 && calls <= 35, `${calls} calls`);
  });
});
