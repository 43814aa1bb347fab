import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { type CacheCluster, createCacheCluster, silentLogger } from "@cachecluster/core";
import { gceDiscovery } from "@cachecluster/discovery-gce";
import { swimMembership } from "@cachecluster/membership-swim";
import { FakeGce } from "@cachecluster/testing/fake-gce";
import { httpTransport } from "@cachecluster/transport-http";

/** `promtool check metrics` (Debian package prometheus): exit code and what it said. */
function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", (error) => reject(new Error(`promtool is not installed (Debian package prometheus; run scripts/setup.sh): ${error.message}`)));
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

describe("a node with every plugin exports metrics promtool accepts", () => {
  let fake: FakeGce;
  let restoreEnv: () => void;
  let cluster: CacheCluster;

  before(async () => {
    fake = await FakeGce.start({ project: "metrics-project", zones: ["us-central1-a"] });
    restoreEnv = fake.useEnv();
    fake.addInstance({ name: "metrics-1", ip: "127.0.0.1", zone: "us-central1-a", tags: ["metrics"] });
    cluster = await createCacheCluster(
      { cache: { host: "127.0.0.1", port: 0 }, cluster: { host: "127.0.0.1", advertise: "127.0.0.1", port: 0, name: "metrics-1" } },
      [
        gceDiscovery({ apiEndpoint: "127.0.0.1", port: fake.port, protocol: "http", project: "metrics-project", zones: ["us-central1-a"], tags: ["metrics"] }),
        swimMembership(),
        httpTransport(),
      ],
      { logger: silentLogger },
    );
    cluster.group("g", { load: (key) => `v:${key}` });
    await cluster.listen();
  });

  after(async () => {
    await cluster.close({ leaveTimeoutMs: 10 });
    restoreEnv();
    await fake.close();
  });

  it("SWIM, discovery and transport counters are counters ending in _total, times in seconds, and promtool finds nothing to complain about", async () => {
    // Until discovery's first successful refresh (the Compute client loads in a worker first: seconds on a busy machine).
    const deadline = Date.now() + 60_000;
    let text = await cluster.metrics.metrics();
    while (!/^cachecluster_discovery_last_success_timestamp_seconds \d/m.test(text) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      text = await cluster.metrics.metrics();
    }
    await cluster.getGroup("g")!.get("k");
    text = await cluster.metrics.metrics();
    assert.match(text, /^# TYPE cachecluster_membership_packets_received_total counter$/m);
    assert.match(text, /^# TYPE cachecluster_membership_received_bytes_total counter$/m);
    assert.match(text, /^# TYPE cachecluster_discovery_refreshes_total counter$/m);
    assert.match(text, /^cachecluster_discovery_last_success_timestamp_seconds \d{10}(\.\d+)?$/m);
    assert.match(text, /^# TYPE cachecluster_discovery_next_refresh_delay_seconds gauge$/m);
    assert.match(text, /^# TYPE cachecluster_transport_server_requests_total counter$/m);
    assert.doesNotMatch(text, /_ms\b|reported by the/);
    const result = await promtool(text);
    assert.equal(result.output.trim(), "", result.output);
    assert.equal(result.code, 0);
  });
});
