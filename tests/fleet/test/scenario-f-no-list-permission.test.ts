import assert from "node:assert/strict";
import { noListPermission } from "../src/scenarios/no-list-permission.js";
import { failures, scenarioTest } from "./helpers/scenario-test.js";

scenarioTest(
  "fleet (f): a VM whose service account lacks compute.instances.list",
  "it serves alone, says why in one WARNING line, and joins the ring once a peer's discovery finds it; no get fails",
  noListPermission,
  (result) => {
    assert.equal(result.failed, 0, `failed gets: ${failures(result)}`);
    // The kit's region mode asks regions.get first: the line names the first permission the account lacks.
    assert.match(result.notes.join(" "), /Required 'compute\.(regions\.get|instances\.list)' permission/);
  },
);
