import assert from "node:assert/strict";
import { udpBlocked } from "../src/scenarios/udp-blocked.js";
import { failures, scenarioTest } from "./helpers/scenario-test.js";

scenarioTest(
  "fleet (e): UDP blocked between the VMs, TCP open (2 workers per VM)",
  "the 6 workers form one ring over memberlist's TCP fallback with no datagram between VMs, the status page says UDP looks blocked, and no get fails",
  udpBlocked,
  (result) => {
    assert.equal(result.failed, 0, `failed gets: ${failures(result)}`);
    assert.match(result.fleet, /3 VMs x 2 workers/);
  },
);
