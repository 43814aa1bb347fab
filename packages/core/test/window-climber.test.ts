import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WindowClimber } from "../src/cache/window-climber.js";

/** Feeds one sample of `requests` requests with `hits` hits and returns the climber's adjustment. */
function sample(climber: WindowClimber, requests: number, hits: number): number {
  climber.hit(hits);
  for (let i = hits; i < requests; i++) climber.miss();
  return climber.adjustment(requests);
}

describe("WindowClimber", () => {
  it("keeps the window where it is while the hit rate changes by less than a sample's noise", () => {
    const climber = new WindowClimber(1000);
    sample(climber, 10_000, 5000);
    // One standard error of the difference of two samples of 10,000 at 50%: sqrt(2 × 0.25 / 10,000) ≈ 0.7 points.
    for (const hits of [5050, 5000, 4960, 5030, 4990]) assert.equal(sample(climber, 10_000, hits), 0, `${hits} hits`);
  });

  it("moves the window when the hit rate changes beyond the noise, and turns back when it falls", () => {
    const climber = new WindowClimber(1000);
    sample(climber, 10_000, 5000);
    const first = sample(climber, 10_000, 5300);
    assert.notEqual(first, 0);
    const second = sample(climber, 10_000, 5000);
    assert.ok(Math.sign(second) === -Math.sign(first), `moved ${first}, then ${second}`);
  });
});
