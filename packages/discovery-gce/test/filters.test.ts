import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { FakeGce } from "@cachecluster/testing/fake-gce";
import type { GceDiscovery, GceDiscoveryOptionsInput } from "../src/index.js";
import { type MemoryLogger, names, newDiscovery, startFake, waitForPeers, warmUp } from "./helpers.js";

describe("GceDiscovery filters: each criterion admits matching instances and rejects the others", () => {
  let gce: FakeGce;
  let close: () => Promise<void>;
  let running: GceDiscovery | undefined;

  before(async () => {
    ({ gce, close } = await startFake({
      self: { name: "self-0", zone: "us-central1-a", tags: ["cache"], labels: { app: "cache" }, metadata: { service: "web" } },
    }));
    await warmUp();
  });
  after(async () => close());
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    gce.reset();
  });

  async function discover(options: GceDiscoveryOptionsInput): Promise<{ found: string[]; logger: MemoryLogger; discovery: GceDiscovery }> {
    const { discovery, logger } = newDiscovery(gce, options);
    running = discovery;
    await discovery.start();
    await waitForPeers(discovery, () => discovery.stats().refreshes >= 1, 20_000);
    return { found: names(discovery.peers()), logger, discovery };
  }

  it("tags: an instance with every configured tag is found, one missing a tag is not", async () => {
    gce.addInstance({ name: "both", tags: ["cache", "blue"] });
    gce.addInstance({ name: "only-cache", tags: ["cache"] });
    gce.addInstance({ name: "untagged" });
    assert.deepEqual((await discover({ tags: ["cache", "blue"] })).found, ["both"]);
  });

  it("tags: with no tags configured every running instance is found", async () => {
    gce.addInstance({ name: "untagged" });
    assert.deepEqual((await discover({})).found, ["self-0", "untagged"]);
  });

  it("metadata: an instance with every configured item and value is found; a wrong value or a missing key is not", async () => {
    gce.addInstance({ name: "match", metadata: { service: "web", tier: "1" } });
    gce.addInstance({ name: "wrong-value", metadata: { service: "api", tier: "1" } });
    gce.addInstance({ name: "missing-key", metadata: { service: "web" } });
    assert.deepEqual((await discover({ metadata: { service: "web", tier: "1" } })).found, ["match"]);
  });

  it("labels: sent as a server-side filter, and only labelled instances are found", async () => {
    gce.addInstance({ name: "prod", labels: { app: "cache", env: "prod" } });
    gce.addInstance({ name: "dev", labels: { app: "cache", env: "dev" } });
    gce.addInstance({ name: "unlabelled" });
    const { found, discovery } = await discover({ labels: { env: "prod", app: "cache" } });
    assert.deepEqual(found, ["prod"]);
    assert.equal(discovery.filter, '(status = RUNNING) AND (labels.app = "cache") AND (labels.env = "prod")');
    const list = gce.computeRequests().find((r) => r.path.endsWith("/instances"));
    assert.equal(list?.query.filter, discovery.filter);
  });

  it("status: running instances are found, stopped, terminated and provisioning ones are not", async () => {
    gce.addInstance({ name: "running" });
    gce.addInstance({ name: "terminated", status: "TERMINATED" });
    gce.addInstance({ name: "stopping", status: "STOPPING" });
    gce.addInstance({ name: "provisioning", status: "PROVISIONING" });
    const { found } = await discover({});
    assert.deepEqual(found, ["running", "self-0"]);
    assert.equal(gce.computeRequests()[0]?.query.filter, "status = RUNNING");
  });

  it("zones: every configured zone is listed, an instance in another zone is not found", async () => {
    gce.addInstance({ name: "in-b", zone: "us-central1-b" });
    gce.addInstance({ name: "in-c", zone: "us-central1-c" });
    gce.addInstance({ name: "in-f", zone: "us-central1-f" });
    const { found } = await discover({ zones: ["us-central1-a", "us-central1-b", "us-central1-c"] });
    assert.deepEqual(found, ["in-b", "in-c", "self-0"]);
    const paths = gce.computeRequests().map((r) => r.path);
    for (const z of ["us-central1-a", "us-central1-b", "us-central1-c"]) assert.ok(paths.includes(`/compute/v1/projects/fake-project/zones/${z}/instances`), z);
    assert.ok(!paths.some((p) => p.includes("us-central1-f")));
  });

  it("zone: by default this instance's zone from the metadata server is listed", async () => {
    gce.addInstance({ name: "in-b", zone: "us-central1-b" });
    gce.addInstance({ name: "in-a", zone: "us-central1-a" });
    const { found, discovery } = await discover({});
    assert.deepEqual(found, ["in-a", "self-0"]);
    assert.deepEqual(discovery.target?.zones, ["us-central1-a"]);
  });

  it("region: one aggregated list finds the instances of every zone of the region and none of other regions", async () => {
    gce.addInstance({ name: "in-b", zone: "us-central1-b" });
    gce.addInstance({ name: "in-f", zone: "us-central1-f" });
    gce.addInstance({ name: "in-europe", zone: "europe-west1-b" });
    const { found } = await discover({ region: "us-central1" });
    assert.deepEqual(found, ["in-b", "in-f", "self-0"]);
    const first = gce.computeRequests()[0];
    assert.equal(first?.path, "/compute/v1/projects/fake-project/aggregated/instances");
    assert.equal(first?.query.filter, "status = RUNNING");
  });

  it("region: a region with no matching instance gives an empty list, not an error", async () => {
    const { found, discovery } = await discover({ region: "asia-east1" });
    assert.deepEqual(found, []);
    assert.equal(discovery.stats().failures, 0);
  });

  it("network interface: the configured interface's IP is used; an instance without it is skipped with a warning", async () => {
    gce.addInstance({ name: "two-nics", networkInterfaces: [{ networkIP: "10.1.0.5" }, { networkIP: "10.2.0.5" }] });
    gce.addInstance({ name: "one-nic", ip: "10.1.0.6" });
    const { discovery, logger } = await discover({ networkInterface: "nic1", project: "fake-project", zones: ["us-central1-a"] });
    assert.deepEqual(discovery.peers(), [{ host: "10.2.0.5", name: "two-nics" }]);
    assert.ok(
      logger.at("warn").some((e) => e.msg.includes("one-nic") && e.msg.includes("nic1")),
      JSON.stringify(logger.at("warn")),
    );
  });

  it("network interface: without configuration the only (or primary nic0) interface's IP is used", async () => {
    gce.addInstance({ name: "two-nics", networkInterfaces: [{ networkIP: "10.1.0.5" }, { networkIP: "10.2.0.5" }] });
    gce.addInstance({ name: "one-nic", ip: "10.1.0.6" });
    const { discovery } = await discover({ tags: [] });
    const byName = new Map(discovery.peers().map((p) => [p.name, p.host]));
    assert.equal(byName.get("two-nics"), "10.1.0.5");
    assert.equal(byName.get("one-nic"), "10.1.0.6");
  });

  it("own instance is included in the result", async () => {
    const { discovery } = await discover({ tags: ["cache"] });
    assert.deepEqual(discovery.peers(), [{ host: gce.self?.networkInterfaces[0]?.networkIP, name: "self-0" }]);
  });

  it("warns once when this instance does not match its own criteria", async () => {
    gce.addInstance({ name: "other", tags: ["nope"] });
    const { logger } = await discover({ tags: ["nope"] });
    assert.equal(logger.at("warn").filter((e) => e.msg.includes("does not match the discovery criteria")).length, 1);
  });
});
