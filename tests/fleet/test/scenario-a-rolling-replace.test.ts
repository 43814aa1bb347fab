import assert from "node:assert/strict";
import { TEST_PROFILE } from "../src/profiles.js";
import { rollingReplace } from "../src/scenarios/rolling-replace.js";
import { failures, scenarioTest } from "./helpers/scenario-test.js";

scenarioTest(
  `fleet (a): rolling replace of all ${TEST_PROFILE.sizes.rolling} VMs through the kit's update-fleet.sh`,
  "no get fails while every VM is replaced (maxSurge 3, maxUnavailable 0), and the new VMs form one ring",
  rollingReplace,
  (result) => {
    assert.equal(result.failed, 0, `failed gets: ${failures(result)}`);
    assert.ok(result.gets > 0, "the load sent no get");
  },
);
