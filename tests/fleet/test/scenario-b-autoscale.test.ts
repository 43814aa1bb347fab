import assert from "node:assert/strict";
import { TEST_PROFILE } from "../src/profiles.js";
import { autoscale } from "../src/scenarios/autoscale.js";

const [small, large] = TEST_PROFILE.sizes.autoscale;
import { failures, scenarioTest } from "./helpers/scenario-test.js";

scenarioTest(
  `fleet (b): autoscaling ${small} -> ${large} -> ${small} VMs`,
  `no get fails while the MIG grows to ${large} VMs and shrinks back to ${small}, and each size ends in one ring`,
  autoscale,
  (result) => {
    assert.equal(result.failed, 0, `failed gets: ${failures(result)}`);
    assert.equal(result.rings.length, 2);
  },
);
