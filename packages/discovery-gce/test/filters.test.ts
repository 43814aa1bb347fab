import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { FakeGce } from "@cachecluster/testing/fake-gce";
import type { GceDiscovery, GceDiscoveryOptionsInput } from "../src/index.js";
import { type MemoryLogger, names, newDiscovery, startFake, until, waitForPeers, warmUp } from "./helpers.js";

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

  it("region: lists only the region's zones (from regions.get, read once), not the whole project", async () => {
    gce.addInstance({ name: "in-b", zone: "us-central1-b" });
    gce.addInstance({ name: "in-f", zone: "us-central1-f" });
    gce.addInstances(50, "in-europe", { zone: "europe-west1-b" });
    const { found, discovery } = await discover({ region: "us-central1", refreshMs: 50 });
    assert.deepEqual(found, ["in-b", "in-f", "self-0"]);
    await waitForPeers(discovery, () => discovery.stats().refreshes >= 2, 20_000);
    const paths = gce.computeRequests().map((r) => r.path);
    assert.ok(!paths.some((p) => p.includes("/aggregated/")), "an aggregated list covers every region of the project");
    assert.ok(!paths.some((p) => p.includes("europe-west1")), paths.join("\n"));
    assert.equal(paths.filter((p) => p === "/compute/v1/projects/fake-project/regions/us-central1").length, 1, "regions.get once");
    const lists = gce.computeRequests().filter((r) => r.path.endsWith("/instances"));
    for (const r of lists) assert.equal(r.query.filter, "status = RUNNING");
    const zones = [...new Set(lists.map((r) => r.path.replace(/^.*\/zones\/([^/]+)\/instances$/, "$1")))].sort();
    assert.deepEqual(zones, ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]);
    assert.deepEqual(discovery.target?.zones, ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]);
    assert.equal(discovery.stats().callsPerRefresh, 4);
  });

  it("region: a region with no matching instance gives an empty list, not an error", async () => {
    gce.addInstance({ name: "in-asia", zone: "asia-east1-a", tags: ["other"] });
    const { found, discovery } = await discover({ region: "asia-east1", tags: ["cache"] });
    assert.deepEqual(found, []);
    assert.equal(discovery.stats().failures, 0);
  });

  it("region: a region the project has no zone in is a clear not-found error", async () => {
    const { discovery } = newDiscovery(gce, { region: "mars-north1" });
    running = discovery;
    await discovery.start();
    await until(() => discovery.stats().failures >= 1, 20_000, "the failure");
    assert.equal(discovery.stats().lastError?.kind, "not-found");
    assert.match(discovery.stats().lastError?.message ?? "", /regions\.get\(projects\/fake-project\/regions\/mars-north1\)/);
  });

  it("network interface: the configured interface's IP is used, or an instance's only interface (the Go tool's rule)", async () => {
    gce.addInstance({ name: "two-nics", networkInterfaces: [{ networkIP: "10.1.0.5" }, { networkIP: "10.2.0.5" }] });
    gce.addInstance({ name: "one-nic", ip: "10.1.0.6" });
    gce.addInstance({
      name: "no-nic1",
      networkInterfaces: [
        { name: "nic0", networkIP: "10.1.0.7" },
        { name: "nic2", networkIP: "10.3.0.7" },
      ],
    });
    const { discovery, logger } = await discover({ networkInterface: "nic1", project: "fake-project", zones: ["us-central1-a"] });
    assert.deepEqual(discovery.peers(), [
      { host: "10.1.0.6", name: "one-nic" },
      { host: gce.self?.networkInterfaces[0]?.networkIP, name: "self-0" },
      { host: "10.2.0.5", name: "two-nics" },
    ]);
    const warnings = logger.at("warn").filter((e) => e.msg.includes("no-nic1"));
    assert.equal(warnings.length, 1, JSON.stringify(logger.at("warn")));
    assert.match(warnings[0]?.msg ?? "", /1 .*no network interface nic1/);
  });

  it("network interface: instances without a usable interface are summed up in one warning per refresh, not one per instance", async () => {
    for (let i = 0; i < 40; i++) {
      gce.addInstance({
        name: `multi-${i}`,
        networkInterfaces: [
          { name: "nic0", networkIP: `10.1.1.${i + 1}` },
          { name: "nic2", networkIP: `10.3.1.${i + 1}` },
        ],
      });
    }
    const { discovery, logger } = await discover({ networkInterface: "nic1", project: "fake-project", zones: ["us-central1-a"], refreshMs: 50 });
    await waitForPeers(discovery, () => discovery.stats().refreshes >= 3, 20_000);
    const warnings = logger.at("warn").filter((e) => e.msg.includes("multi-"));
    assert.equal(warnings.length, 1, warnings.map((w) => w.msg).join("\n"));
    assert.match(warnings[0]?.msg ?? "", /40 (instances )?have no network interface nic1 \(e\.g\. multi-0, multi-1, multi-10\b/);
    assert.equal(discovery.stats().lastResult?.unusable, 40);
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

  it("explain(): with nothing matched, says what was listed where and which filter removed how many", async () => {
    gce.addInstances(29, "untagged");
    gce.addInstances(7, "tagged", { tags: ["cachecluster"], metadata: { service: "api" } });
    const { discovery } = await discover({ project: "fake-project", zones: ["us-central1-a"], tags: ["cachecluster"], metadata: { service: "web" } });
    assert.deepEqual(discovery.peers(), []);
    assert.equal(
      discovery.explain(),
      "listed 37 RUNNING instances in us-central1-a; 0 matched: tags [cachecluster] removed 30, metadata service=web removed 7",
    );
    assert.deepEqual(discovery.stats().lastResult, {
      listed: 37,
      matched: 0,
      removed: { status: 0, zone: 0, labels: 0, tags: 30, metadata: 7 },
      unusable: 0,
      problems: [],
    });
  });

  it("explain(): when the only match is this instance, says so", async () => {
    gce.addInstances(2, "web", { tags: ["web"] });
    const { discovery } = await discover({ tags: ["cache"] });
    assert.equal(discovery.explain(), "listed 3 RUNNING instances in us-central1-a; the only match is this instance itself (self-0); tags [cache] removed 2");
  });

  it("explain(): labels and an empty zone are named; another node found means nothing to explain", async () => {
    const empty = await discover({ project: "fake-project", zones: ["us-central1-c"], labels: { env: "prod" } });
    assert.equal(empty.discovery.explain(), "no RUNNING instance with labels env=prod in us-central1-c");
    await running?.stop();
    gce.addInstance({ name: "peer-1", tags: ["cache"] });
    const found = await discover({ tags: ["cache"] });
    assert.deepEqual(found.found, ["peer-1", "self-0"]);
    assert.equal(found.discovery.explain(), undefined);
  });

  it("a node left alone for 3 refreshes says why at warn, once per distinct explanation (counts changing is not new)", async () => {
    gce.addInstances(3, "web", { tags: ["web"] });
    const { discovery, logger } = newDiscovery(gce, { tags: ["cache"], refreshMs: 30 });
    running = discovery;
    const alone = (): string[] =>
      logger
        .at("warn")
        .filter((e) => e.msg.includes("no other node found"))
        .map((e) => e.msg);
    await discovery.start();
    await until(() => discovery.stats().refreshes >= 6, 20_000, "6 refreshes");
    gce.addInstance({ name: "web-9", tags: ["web"] });
    const at = discovery.stats().refreshes;
    await until(() => discovery.stats().refreshes >= at + 3, 20_000, "3 more refreshes");
    assert.deepEqual(alone(), [
      "cachecluster/discovery-gce: no other node found in 3 refreshes: listed 4 RUNNING instances in us-central1-a; the only match is this instance itself (self-0); tags [cache] removed 3",
    ]);
    gce.setStatus("web-0", "TERMINATED");
    gce.addInstance({ name: "odd", tags: ["cache"], networkInterfaces: [] });
    const then = discovery.stats().refreshes;
    await until(() => discovery.stats().refreshes >= then + 2, 20_000, "2 more refreshes");
    assert.equal(alone().length, 2, "a new kind of explanation is warned about");
    assert.match(alone()[1] ?? "", /1 unusable \(have no network interface, e\.g\. odd\)/);
  });
});

describe("GceDiscovery clusterPort: the gossip port of the nodes found", () => {
  let gce: FakeGce;
  let close: () => Promise<void>;

  before(async () => {
    ({ gce, close } = await startFake({ self: { name: "self-0", zone: "us-central1-a", tags: ["cache"] } }));
    await warmUp();
  });
  after(async () => close());

  it("every peer found carries clusterPort when it is set, and none when it is not", async () => {
    gce.addInstance({ name: "other", tags: ["cache"] });
    for (const [clusterPort, expected] of [
      [7946, [7946, 7946]],
      [undefined, [undefined, undefined]],
    ] as const) {
      const { discovery } = newDiscovery(gce, clusterPort === undefined ? { tags: ["cache"] } : { tags: ["cache"], clusterPort });
      await discovery.start();
      await waitForPeers(discovery, () => discovery.stats().refreshes >= 1, 20_000);
      assert.deepEqual(
        discovery.peers().map((p) => p.clusterPort),
        expected,
      );
      await discovery.stop();
    }
  });
});
