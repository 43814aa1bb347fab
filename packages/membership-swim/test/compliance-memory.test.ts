import { membershipCompliance } from "@cachecluster/testing/compliance/membership";
import { type SwimMembership } from "../src/index.js";
import { Sim } from "./helpers/sim.js";

let sim = new Sim({ seed: 7 });
const ipOf = new Map<SwimMembership, string>();

membershipCompliance({
  name: "SwimMembership on the in-memory network (virtual time)",
  create({ name, cacheUrl }) {
    const member = sim.create(name, cacheUrl);
    ipOf.set(member.membership, member.host.ip);
    return member.membership;
  },
  seed: (m) => sim.seed(m as SwimMembership),
  waitFor: (done, timeoutMs) => sim.scheduler.runUntil(done, timeoutMs),
  settle: (p) => sim.scheduler.settle(p),
  async crash(m) {
    sim.net.crash(ipOf.get(m as SwimMembership)!);
  },
  async updateCacheUrl(m, url) {
    (m as SwimMembership).updateCacheUrl(url);
  },
  async cleanup() {
    sim = new Sim({ seed: 7 });
  },
});
