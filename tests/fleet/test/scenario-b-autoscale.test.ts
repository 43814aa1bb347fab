import assert from "node:assert/strict";
import { autoscale } from "../src/scenarios/autoscale.js";
import { failures, scenarioTest } from "./helpers/scenario-test.js";

scenarioTest(
  "fleet (b): autoscaling 3 -> 10 -> 3 VMs",
  "no get fails while the MIG grows to 10 VMs and shrinks back to 3, and each size ends in one ring",
  autoscale,
  (result) => {
    assert.equal(result.failed, 0, `failed gets: ${failures(result)}`);
    assert.equal(result.rings.length, 2);
  },
);
