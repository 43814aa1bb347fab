import { membershipCompliance } from "@cachecluster/testing/compliance/membership";
import { SwimMembership } from "../src/index.js";
import { FAST, pollUntil } from "./helpers/real.js";

membershipCompliance({
  name: "SwimMembership on real UDP/TCP loopback",
  create: () => new SwimMembership(FAST),
  seed: (m) => ({ host: "127.0.0.1", clusterPort: (m as SwimMembership).port }),
  waitFor: pollUntil,
  detectionTimeoutMs: 15_000,
  // a member that stops without leaving vanishes from the network as a killed process does
  crash: (m) => m.stop(),
  async updateCacheUrl(m, url) {
    (m as SwimMembership).updateCacheUrl(url);
  },
});
