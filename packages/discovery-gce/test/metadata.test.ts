import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { FakeGce, FakeGceFault } from "@cachecluster/testing/fake-gce";
import { DiscoveryError, type GceDiscovery } from "../src/index.js";
import { names, newDiscovery, startFake, until, waitForPeers, warmUp } from "./helpers.js";

describe("GceDiscovery and the metadata server", () => {
  let gce: FakeGce;
  let close: () => Promise<void>;
  let discovery: GceDiscovery | undefined;

  before(async () => {
    ({ gce, close } = await startFake({ project: "acme-cache-prod", self: { name: "cache-7", zone: "europe-west1-c", ip: "10.132.0.7" } }));
    await warmUp();
  });
  after(async () => close());
  afterEach(async () => {
    await discovery?.stop();
    discovery = undefined;
    gce.reset();
  });

  it("the real clients send exactly these requests, with Metadata-Flavor and the issued bearer token", async (t) => {
    gce.addInstance({ name: "cache-8", zone: "europe-west1-c", ip: "10.132.0.8" });
    ({ discovery } = newDiscovery(gce, { refreshMs: 60_000 }));
    await discovery.start();
    await waitForPeers(discovery, (p) => p.length === 2, 20_000);
    const log = gce.requests.map(
      (r) => `${r.method} ${r.path}${Object.keys(r.query).length > 0 ? `?${new URLSearchParams(r.query).toString()}` : ""} -> ${r.status}`,
    );
    for (const line of log) t.diagnostic(line);
    const metadata = gce.metadataRequests();
    assert.deepEqual(metadata.map((r) => r.path).sort(), [
      "/computeMetadata/v1/instance/name",
      "/computeMetadata/v1/instance/network-interfaces/0/ip",
      "/computeMetadata/v1/instance/service-accounts/default/token",
      "/computeMetadata/v1/instance/zone",
      "/computeMetadata/v1/project/project-id",
    ]);
    for (const r of metadata) assert.equal(r.headers["metadata-flavor"], "Google", r.path);
    const token = metadata.find((r) => r.path.endsWith("/token"));
    assert.match(token?.query.scopes ?? "", /https:\/\/www\.googleapis\.com\/auth\/(compute|cloud-platform)/);
    const compute = gce.computeRequests();
    assert.equal(compute.length, 1);
    assert.equal(compute[0]?.method, "GET");
    assert.equal(compute[0]?.path, "/compute/v1/projects/acme-cache-prod/zones/europe-west1-c/instances");
    assert.deepEqual(compute[0]?.query, { filter: "status = RUNNING", maxResults: "500" });
    assert.deepEqual(
      gce.issuedTokens().map((tok) => `Bearer ${tok}`),
      [compute[0]?.headers.authorization],
    );
    assert.match(compute[0]?.headers["x-goog-api-client"] ?? "", /gapic\/6\./);
    assert.deepEqual(discovery.target, { project: "acme-cache-prod", zones: ["europe-west1-c"], self: { name: "cache-7", host: "10.132.0.7" } });
  });

  it("network_interface = nic1 on a one-NIC instance: this instance's address is its only interface's (the metadata lists one)", async () => {
    ({ discovery } = newDiscovery(gce, { networkInterface: "nic1" }));
    await discovery.start();
    const peers = await waitForPeers(discovery, (p) => p.length === 1, 20_000);
    assert.deepEqual(peers, [{ host: "10.132.0.7", name: "cache-7" }]);
    assert.deepEqual(discovery.target?.self, { name: "cache-7", host: "10.132.0.7" });
    assert.equal(discovery.stats().failures, 0, String(discovery.stats().lastError));
    const paths = gce.metadataRequests().map((r) => r.path);
    assert.ok(paths.includes("/computeMetadata/v1/instance/network-interfaces/"), paths.join("\n"));
    assert.ok(!paths.includes("/computeMetadata/v1/instance/network-interfaces/1/ip"), paths.join("\n"));
  });

  it("network_interface naming none of this instance's interfaces: a clear error naming the ones it has", async () => {
    gce.self?.networkInterfaces.push({ name: "nic1", networkIP: "10.140.0.7" });
    try {
      const made = newDiscovery(gce, { networkInterface: "nic3" });
      discovery = made.discovery;
      const d = discovery;
      await d.start();
      await until(() => d.stats().failures >= 2, 20_000, "failed refreshes");
      const error = d.stats().lastError;
      assert.match(error?.message ?? "", /this instance has 2 network interfaces \(nic0, nic1\); \[match\] network_interface = nic3 is none of them/);
      assert.doesNotMatch(error?.message ?? "", /is this a GCE instance/);
      assert.equal(made.logger.at("warn").length, 1);
    } finally {
      gce.self?.networkInterfaces.pop();
    }
  });

  it("network_interface = nic1 on a two-NIC instance: this instance's address is nic1's", async () => {
    gce.self?.networkInterfaces.push({ name: "nic1", networkIP: "10.140.0.7" });
    try {
      ({ discovery } = newDiscovery(gce, { networkInterface: "nic1" }));
      await discovery.start();
      await waitForPeers(discovery, (p) => p.length === 1, 20_000);
      assert.deepEqual(discovery.target?.self, { name: "cache-7", host: "10.140.0.7" });
      assert.deepEqual(discovery.peers(), [{ host: "10.140.0.7", name: "cache-7" }]);
    } finally {
      gce.self?.networkInterfaces.pop();
    }
  });

  it("with project and zone configured the metadata server is asked for nothing but the token", async () => {
    ({ discovery } = newDiscovery(gce, { project: "acme-cache-prod", zones: ["europe-west1-c"] }));
    await discovery.start();
    await waitForPeers(discovery, (p) => p.length === 1, 20_000);
    assert.deepEqual(
      gce.metadataRequests().map((r) => r.path),
      ["/computeMetadata/v1/instance/service-accounts/default/token"],
    );
  });

  it("the access token is fetched once and reused across refreshes", async () => {
    ({ discovery } = newDiscovery(gce, { refreshMs: 50 }));
    const d = discovery;
    await d.start();
    await until(() => d.stats().refreshes >= 4, 20_000, "four refreshes");
    assert.equal(gce.metadataRequests().filter((r) => r.path.endsWith("/token")).length, 1);
  });

  const bad: { title: string; setup: (gce: FakeGce) => void; says: RegExp; failures?: number }[] = [
    {
      title: "a zone that is not projects/N/zones/Z",
      setup: (g) => g.setMetadata("instance/zone", "garbage"),
      says: /instance\/zone with "garbage"; expected projects\/<number>\/zones\/<zone>/,
    },
    { title: "an empty project ID", setup: (g) => g.setMetadata("project/project-id", ""), says: /project\/project-id with .*expected a project ID/ },
    {
      title: "an IP that is not an address",
      setup: (g) => g.setMetadata("instance/network-interfaces/0/ip", "not-an-ip"),
      says: /network-interfaces\/0\/ip with "not-an-ip"; expected an IP address/,
    },
    { title: "a 404 for the zone", setup: (g) => g.setMetadata("instance/zone", null), says: /metadata server instance\/zone failed: HTTP 404/ },
    {
      title: "an answer without Metadata-Flavor: Google",
      setup: (g) => g.inject({ api: "metadata", path: "/instance/zone", omitMetadataFlavor: true, times: Infinity } satisfies FakeGceFault),
      says: /Metadata-Flavor/,
    },
    {
      title: "a 500 from the metadata server",
      setup: (g) => g.inject({ api: "metadata", path: "project-id", status: 500, body: "oops", times: Infinity }),
      says: /project\/project-id failed: HTTP 500/,
      failures: 1,
    },
  ];

  for (const c of bad) {
    it(`${c.title}: start() resolves, a clear error is logged once, and discovery recovers once the answer is good`, async () => {
      c.setup(gce);
      const made = newDiscovery(gce, { requestTimeoutMs: 5_000 });
      discovery = made.discovery;
      const d = discovery;
      await d.start(); // never throws at start
      // Two failures show a repeat is not logged again; gcp-metadata retries a 500 itself (~4 s), so one there.
      await until(() => d.stats().failures >= (c.failures ?? 2), 20_000, "failed refreshes");
      assert.deepEqual([...d.peers()], []);
      const error = d.stats().lastError;
      assert.ok(error instanceof DiscoveryError);
      assert.equal(error.kind, "metadata");
      assert.match(error.message, c.says);
      const warnings = made.logger.at("warn");
      assert.equal(warnings.length, 1, warnings.map((w) => w.msg).join("\n"));
      assert.match(warnings[0]?.msg ?? "", c.says);
      assert.equal(gce.computeRequests().length, 0, "no list call without a project and zone");
      gce.metadataOverrides.clear();
      gce.clearFaults();
      const peers = await waitForPeers(d, (p) => p.length === 1, 20_000);
      assert.deepEqual(names(peers), ["cache-7"]);
    });
  }
});
