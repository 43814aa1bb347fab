// Fault: the Compute API fails for a long time — 500s, then 403s, then answers slower than the request
// timeout — while the nodes keep serving. Time is compressed: discovery refreshes every 100 ms (60 s in
// production), so each 4 s phase is ~40 refresh periods, ~40 minutes of a default fleet's refreshes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FakeGce } from "@cachecluster/testing/fake-gce";
import { type FaultNode, converged, destroyAll, loopbackPrefix, sleep, startNodes, totalLoad, views, waitUntil } from "./faults/cluster-harness.js";
import type { NodeConfig } from "./faults/protocol.js";

const PHASE_MS = 4000;

describe("fault: the fake GCE answers 500, 403 and times out for a long time", () => {
  let fake: FakeGce;
  let nodes: FaultNode[] = [];
  let restoreEnv: () => void = () => {};

  before(async () => {
    fake = await FakeGce.start({ project: "faults-project", zones: ["us-central1-a"] });
    restoreEnv = fake.useEnv();
    const prefix = loopbackPrefix(104);
    const configs: NodeConfig[] = ["a", "b", "c"].map((n, i) => ({
      name: `gce-${n}`,
      ip: `${prefix}${11 + i}`,
      cachePort: 19184,
      clusterPort: 19950,
      heartbeatMs: 200,
      peerTimeoutMs: 1000,
      loadDelayMs: 2,
      discovery: { kind: "gce", computePort: fake.port, tag: "faults-gce", refreshMs: 100, backoffMs: 50, requestTimeoutMs: 1000 },
    }));
    for (const c of configs) fake.addInstance({ name: c.name, ip: c.ip, zone: "us-central1-a", tags: ["faults-gce"] });
    nodes = await startNodes(configs);
  });

  after(async () => {
    await destroyAll(nodes);
    restoreEnv();
    await fake?.close();
  });

  it("keeps every node serving with the last peer list, and recovers when the API answers again", async (t) => {
    const names = nodes.map((n) => n.name);
    assert.ok(await waitUntil(() => converged(nodes, names), 60_000), `cluster did not form: ${JSON.stringify(await views(nodes))}`);
    // Gossip can join a node before its own discovery answered (the Google client loads in the background): the
    // faults below must find a good list in every node to keep.
    const allIps = nodes
      .map((n) => n.config.ip)
      .sort()
      .join();
    const discovered = async (): Promise<boolean> =>
      (await Promise.all(nodes.map((n) => n.snapshot()))).every((s) => [...s.discoveredPeers].sort().join() === allIps);
    assert.ok(await waitUntil(discovered, 60_000), `a node's discovery found no good list: ${JSON.stringify(await views(nodes))}`);
    await Promise.all(nodes.map((n) => n.startLoad(20_000, 8, "g")));

    const phases = [
      { name: "500 backendError", fault: { api: "compute" as const, status: 500, reason: "backendError", times: Infinity } },
      {
        name: "403 forbidden",
        fault: { api: "compute" as const, status: 403, reason: "forbidden", message: "Required 'compute.instances.list' permission", times: Infinity },
      },
      { name: "timeouts", fault: { api: "compute" as const, latencyMs: 5000, times: Infinity } },
    ];
    const checks: string[] = [];
    for (const phase of phases) {
      const before = await Promise.all(nodes.map((n) => n.snapshot()));
      const from = fake.requests.length;
      const clear = fake.inject(phase.fault);
      await sleep(PHASE_MS);
      const during = await Promise.all(nodes.map((n) => n.snapshot()));
      clear();
      const faulted = fake.requests.slice(from).filter((r) => r.api === "compute").length;
      checks.push(`${phase.name}: ${faulted} compute requests faulted`);
      assert.ok(faulted >= nodes.length * 2, `${phase.name}: the nodes barely called the API (${faulted} requests)`);
      for (const [i, s] of during.entries()) {
        assert.ok((s.discovery.failures ?? 0) > (before[i]!.discovery.failures ?? 0), `${s.name}: no failed refresh counted during ${phase.name}`);
        assert.deepEqual([...s.discoveredPeers].sort(), nodes.map((n) => n.config.ip).sort(), `${s.name}: lost its last good peer list during ${phase.name}`);
        assert.deepEqual(
          s.members
            .filter((m) => m.state === "alive")
            .map((m) => m.id)
            .sort(),
          [...names].sort(),
          `${s.name}: members changed during ${phase.name}`,
        );
      }
    }
    fake.clearFaults();
    const recoveredFrom = await Promise.all(nodes.map((n) => n.snapshot()));
    const recovered = await waitUntil(async () => {
      const now = await Promise.all(nodes.map((n) => n.snapshot()));
      return now.every((s, i) => (s.discovery.refreshes ?? 0) > (recoveredFrom[i]!.discovery.refreshes ?? 0) && s.discovery.consecutiveFailures === 0);
    }, 10_000);
    const report = totalLoad(await Promise.all(nodes.map((n) => n.stopLoad())));
    t.diagnostic(`${checks.join("; ")}; gets ${report.ok} ok, ${report.failed} failed`);

    assert.ok(recovered, "discovery did not recover after the API came back");
    assert.ok(await converged(nodes, names), `the cluster changed: ${JSON.stringify(await views(nodes))}`);
    assert.equal(report.failed, 0, `failed gets: ${report.failures.join("; ")}`);
    assert.equal(report.wrong, 0, `wrong values: ${report.failures.join("; ")}`);
    assert.ok(report.ok > 1000, `too few gets: ${report.ok}`);
    assert.ok(
      nodes.every((n) => !n.exited),
      "a node exited",
    );
  });
});
