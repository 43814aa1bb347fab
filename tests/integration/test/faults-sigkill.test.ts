// Fault: a node is killed with SIGKILL while the others read through it. Real processes on loopback
// (one address per node, same ports), static seeds, SWIM over UDP, HTTP transport.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FaultNode, converged, destroyAll, loopbackPrefix, sleep, startNodes, totalLoad, views, waitUntil } from "./faults/cluster-harness.js";
import type { NodeConfig } from "./faults/protocol.js";

describe("fault: SIGKILL of a node under load", () => {
  let nodes: FaultNode[] = [];

  before(async () => {
    const prefix = loopbackPrefix(101);
    const seeds = Array.from({ length: 3 }, (_s, i) => `${prefix}${11 + i}:19947`);
    const configs: NodeConfig[] = ["a", "b", "c"].map((n, i) => ({
      name: `kill-${n}`,
      ip: `${prefix}${11 + i}`,
      cachePort: 19181,
      clusterPort: 19947,
      heartbeatMs: 200,
      peerTimeoutMs: 1000,
      loadDelayMs: 3,
      discovery: { kind: "static", seeds },
      // Static seeds; re-dial them every second until everyone has joined (nodes start in any order).
      swim: { reconnectIntervalMs: 1000 },
    }));
    nodes = await startNodes(configs);
  });

  after(async () => {
    await destroyAll(nodes);
  });

  it("loses no get: every read at the survivors succeeds with the right value while the owner of a third of the keys dies", async () => {
    const [a, b, c] = nodes as [FaultNode, FaultNode, FaultNode];
    assert.ok(await waitUntil(() => converged(nodes, [a.name, b.name, c.name]), 20_000), `cluster did not form: ${JSON.stringify(await views(nodes))}`);

    await Promise.all([a.startLoad(50_000, 16, "k"), b.startLoad(50_000, 16, "k")]);
    await sleep(1500);
    const servedByVictim = (await c.snapshot()).group.serverRequests ?? 0;
    assert.ok(servedByVictim > 0, "the victim served no peer request before the kill: the test would prove nothing");

    c.kill("SIGKILL");
    const dropped = await waitUntil(() => converged([a, b], [a.name, b.name]), 15_000);
    await sleep(1500);
    const report = totalLoad([await a.stopLoad(), await b.stopLoad()]);
    const [sa, sb] = await Promise.all([a.snapshot(), b.snapshot()]);

    assert.ok(dropped, `the survivors did not drop the killed node: ${JSON.stringify(await views([a, b]))}`);
    assert.equal(c.exitSignal, "SIGKILL");
    assert.equal(report.failed, 0, `failed gets: ${report.failures.join("; ")}`);
    assert.equal(report.wrong, 0, `wrong values: ${report.failures.join("; ")}`);
    assert.ok(report.ok > 200, `too few gets to mean anything: ${report.ok}`);
    // The fallback path ran: fetches to the dead owner failed and were loaded locally instead.
    assert.ok((sa.group.peerErrors ?? 0) + (sb.group.peerErrors ?? 0) > 0, "no peer fetch failed: the kill was not exercised under load");
    assert.ok(!a.exited && !b.exited, "a survivor exited");
  });
});
