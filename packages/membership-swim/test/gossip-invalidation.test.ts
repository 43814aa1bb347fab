import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invalidationCluster } from "./helpers/invalidation-sim.js";

/**
 * The stated window (core README, "Invalidation"): with memberlist's LAN timings (gossip every 200 ms to 3
 * members), every live node has dropped its copy within 10 gossip intervals at 50 members (measured: 3-5).
 */
const WINDOW_MS = 2000;

describe("hot-cache invalidation over SWIM gossip (50 members, in-memory network, virtual time)", () => {
  it("after remove and set, every node drops its hot copy within the window, and then no node reads the old value", async () => {
    const c = await invalidationCluster(50, 7);
    const steady = await c.steadyTraffic(WINDOW_MS);
    try {
      for (const [i, change] of ["remove", "set", "remove", "set"].entries()) {
        const key = `key-${i}`;
        const origin = c.nodes.find((n) => n !== c.ownerOf(key))!;
        const trial = await c.change(origin, key, {
          ...(change === "set" ? { value: `set-${i}` } : {}),
          maxMs: WINDOW_MS,
          spanMs: WINDOW_MS,
          steady,
        });
        assert.equal(trial.holding, 0, `${change} ${key}: nodes still holding a copy after ${WINDOW_MS} ms`);
        assert.equal(trial.staleReads, 0, `${change} ${key}: stale reads after the window`);
        assert.equal(trial.httpRequests, 1, `${change} ${key}: only the owner's request went over HTTP`);
      }
    } finally {
      await c.stop();
    }
  });
});
