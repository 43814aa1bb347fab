import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { FakeGce } from "@cachecluster/testing/fake-gce";
import type { GceDiscovery } from "../src/index.js";
import { names, newDiscovery, startFake, waitForPeers, warmUp } from "./helpers.js";

describe("GceDiscovery follows the fleet: a change is seen by the next refresh", () => {
  let gce: FakeGce;
  let close: () => Promise<void>;
  let discovery: GceDiscovery;

  before(async () => {
    ({ gce, close } = await startFake({ self: { name: "node-00", tags: ["cache"] } }));
    await warmUp();
  });
  after(async () => close());
  afterEach(async () => {
    await discovery.stop();
    gce.reset();
  });

  /** Applies `change` and checks that the list seen afterwards equals `want` no later than the refresh after next. */
  async function seenWithinOneRefresh(change: () => void, want: string[]): Promise<void> {
    // A refresh may be under way while the change lands; the one after it must see the change.
    const before = discovery.stats().refreshes;
    change();
    const peers = await waitForPeers(discovery, (p) => names(p).join() === want.join(), 10_000);
    assert.deepEqual(names(peers), want);
    const took = discovery.stats().refreshes - before;
    assert.ok(took <= 2, `seen after ${took} refreshes`);
  }

  it("scale-up: new instances appear within one refresh", async () => {
    gce.addInstances(2, "node-a", { tags: ["cache"] });
    ({ discovery } = newDiscovery(gce, { tags: ["cache"], refreshMs: 200 }));
    await discovery.start();
    await waitForPeers(discovery, (p) => p.length === 3, 20_000);
    await seenWithinOneRefresh(
      () => gce.addInstances(5, "node-b", { tags: ["cache"] }),
      ["node-00", "node-a-0", "node-a-1", "node-b-0", "node-b-1", "node-b-2", "node-b-3", "node-b-4"],
    );
  });

  it("scale-down: deleted and stopped instances disappear within one refresh", async () => {
    gce.addInstances(4, "node-a", { tags: ["cache"] });
    ({ discovery } = newDiscovery(gce, { tags: ["cache"], refreshMs: 200 }));
    await discovery.start();
    await waitForPeers(discovery, (p) => p.length === 5, 20_000);
    await seenWithinOneRefresh(() => {
      gce.removeInstance("node-a-0");
      gce.stopInstance("node-a-1");
      gce.setStatus("node-a-2", "STOPPING");
    }, ["node-00", "node-a-3"]);
  });

  it("pagination: 1,203 instances over pages of 500 are all found, in 3 calls per refresh", async () => {
    gce.addInstances(1_202, "node-p", { tags: ["cache"] });
    ({ discovery } = newDiscovery(gce, { tags: ["cache"], refreshMs: 60_000 }));
    await discovery.start();
    const peers = await waitForPeers(discovery, (p) => p.length === 1_203, 20_000);
    assert.equal(new Set(peers.map((p) => p.host)).size, 1_203);
    const calls = gce.computeRequests();
    assert.equal(calls.length, 3);
    assert.deepEqual(
      calls.map((c) => c.query.maxResults),
      ["500", "500", "500"],
    );
    assert.equal(calls[0]?.query.pageToken, undefined);
    assert.ok(calls[1]?.query.pageToken !== undefined && calls[2]?.query.pageToken !== undefined);
    assert.equal(discovery.stats().callsPerRefresh, 3);
  });

  it("pagination: a region's zones are listed page by page, and every instance of the region is found", async () => {
    gce.addInstances(300, "node-b", { tags: ["cache"], zone: "us-central1-b" });
    gce.addInstances(300, "node-c", { tags: ["cache"], zone: "us-central1-c" });
    ({ discovery } = newDiscovery(gce, { tags: ["cache"], region: "us-central1", maxResults: 250, refreshMs: 60_000 }));
    await discovery.start();
    const peers = await waitForPeers(discovery, (p) => p.length === 601, 20_000);
    assert.equal(peers.length, 601);
    // After regions.get: us-central1-a (1 page: node-00), -b and -c (2 pages each), -f (1 empty page).
    const lists = gce.computeRequests().filter((r) => r.path.endsWith("/instances"));
    assert.equal(lists.length, 6);
    assert.equal(discovery.stats().callsPerRefresh, 6);
  });

  it("refresh() lists now, without waiting for the regular period", async () => {
    ({ discovery } = newDiscovery(gce, { tags: ["cache"], refreshMs: 600_000 }));
    await discovery.start();
    await waitForPeers(discovery, (p) => p.length === 1, 20_000);
    gce.addInstance({ name: "node-late", tags: ["cache"] });
    await discovery.refresh();
    assert.deepEqual(names(discovery.peers()), ["node-00", "node-late"]);
    assert.equal(discovery.stats().refreshes, 2);
  });

  it("stop() then start() resumes refreshing with a new client", async () => {
    ({ discovery } = newDiscovery(gce, { tags: ["cache"], refreshMs: 100 }));
    await discovery.start();
    await waitForPeers(discovery, (p) => p.length === 1, 20_000);
    await discovery.stop();
    gce.addInstance({ name: "node-next", tags: ["cache"] });
    await discovery.start();
    const peers = await waitForPeers(discovery, (p) => p.length === 2, 20_000);
    assert.deepEqual(names(peers), ["node-00", "node-next"]);
  });
});
