import assert from "node:assert/strict";
import { zoneOutage } from "../src/scenarios/zone-outage.js";
import { scenarioTest } from "./helpers/scenario-test.js";

// The scenario itself fails when a get fails outside [the outage - the load's timeout, the outage + the
// detection window], or when one ring takes longer than the window; here only what it returns is checked.
scenarioTest(
  "fleet (c): a zone outage takes every VM of one zone at once",
  "gets fail only within the failure-detection window, and the survivors see one ring within it",
  zoneOutage,
  (result) => {
    assert.ok(result.gets > 0, "the load sent no get");
    assert.equal(result.rings.length, 1);
  },
);
