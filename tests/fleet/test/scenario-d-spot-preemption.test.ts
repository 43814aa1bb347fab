import assert from "node:assert/strict";
import { spotPreemption } from "../src/scenarios/spot-preemption.js";
import { failures, scenarioTest } from "./helpers/scenario-test.js";

scenarioTest(
  "fleet (d): a Spot VM preempted with its notice",
  "no get fails: the VM's shutdown script sees the preemption and its worker leaves within the notice; the MIG recreates it and it joins",
  spotPreemption,
  (result) => {
    assert.equal(result.failed, 0, `failed gets: ${failures(result)}`);
    assert.equal(result.rings.length, 2);
  },
);
