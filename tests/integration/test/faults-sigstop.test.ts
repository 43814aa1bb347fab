// Fault: a node is paused with SIGSTOP (a long GC pause, a frozen VM) and resumed with SIGCONT. The healthy
// members must not be declared dead, and the paused one must refute the suspicion about itself and come back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FaultNode, converged, destroyAll, loopbackPrefix, sleep, startNodes, totalLoad, views, waitUntil } from "./faults/cluster-harness.js";
import type { NodeConfig, NodeSnapshot } from "./faults/protocol.js";

const PAUSE_MS = 2500;

describe("fault: SIGSTOP / SIGCONT of a node", () => {
  let nodes: FaultNode[] = [];

  before(async () => {
    const prefix = loopbackPrefix(102);
    const seeds = Array.from({ length: 4 }, (_s, i) => `${prefix}${11 + i}:19948`);
    const configs: NodeConfig[] = ["a", "b", "c", "d"].map((n, i) => ({
      name: `stop-${n}`,
      ip: `${prefix}${11 + i}`,
      cachePort: 19182,
      clusterPort: 19948,
      heartbeatMs: 200,
      peerTimeoutMs: 500,
      loadDelayMs: 2,
      discovery: { kind: "static", seeds },
      // Static seeds; re-dial them every second until everyone has joined (nodes start in any order).
      swim: { reconnectIntervalMs: 1000 },
    }));
    nodes = await startNodes(configs);
  });

  after(async () => {
    // A stopped process still dies of SIGKILL.
    await destroyAll(nodes);
  });

  it("declares no healthy member dead, and the paused member refutes and is alive everywhere again", async (t) => {
    const [a, b, c, d] = nodes as [FaultNode, FaultNode, FaultNode, FaultNode];
    const names = nodes.map((n) => n.name);
    assert.ok(await waitUntil(() => converged(nodes, names), 20_000), `cluster did not form: ${JSON.stringify(await views(nodes))}`);
    const incarnationBefore = (await a.snapshot()).members.find((m) => m.id === d.name)?.incarnation ?? -1;
    const refutationsBefore = (await d.snapshot()).swim.refutations ?? 0;

    const healthy = [a, b, c];
    await Promise.all(healthy.map((n) => n.startLoad(20_000, 8, "s")));
    await sleep(500);
    d.kill("SIGSTOP");
    // While d is frozen, the others must notice (suspect, maybe dead) — sample a's view.
    let sawSuspicion = false;
    const pauseEnd = performance.now() + PAUSE_MS;
    while (performance.now() < pauseEnd) {
      const view = await a.snapshot();
      const dView = view.allMembers.find((m) => m.id === d.name);
      if (dView !== undefined && dView.state !== "alive") sawSuspicion = true;
      await sleep(200);
    }
    d.kill("SIGCONT");

    const back = await waitUntil(async () => {
      if (!(await converged(nodes, names))) return false;
      const seen = await Promise.all(healthy.map((n) => n.snapshot()));
      return seen.every((s) => (s.members.find((m) => m.id === d.name)?.incarnation ?? -1) > incarnationBefore);
    }, 20_000);
    const report = totalLoad(await Promise.all(healthy.map((n) => n.stopLoad())));
    const snaps: NodeSnapshot[] = await Promise.all(nodes.map((n) => n.snapshot()));

    const deathsOfPaused = snaps.reduce((n, s) => n + s.events.filter((e) => e.type === "fail" && e.id === d.name).length, 0);
    t.diagnostic(
      `paused ${PAUSE_MS} ms; ${d.name} incarnation ${incarnationBefore} -> ${snaps[0]!.members.find((m) => m.id === d.name)?.incarnation ?? "?"}, refutations ${(snaps[3]!.swim.refutations ?? 0) - refutationsBefore}, declared dead by ${deathsOfPaused} node(s); gets ${report.ok} ok, ${report.failed} failed, max ${report.maxMs.toFixed(0)} ms`,
    );
    assert.ok(sawSuspicion, "nobody noticed the paused member: the pause proved nothing");
    assert.ok(back, `the paused member did not come back with a higher incarnation: ${JSON.stringify(await views(nodes))}`);
    const refutations = (snaps[3]!.swim.refutations ?? 0) - refutationsBefore;
    assert.ok(refutations > 0, "the paused member did not refute");
    for (const s of snaps) {
      const falseDeaths = s.events.filter((e) => (e.type === "fail" || e.type === "leave") && e.id !== d.name);
      assert.deepEqual(falseDeaths, [], `${s.name} declared a healthy member dead or gone`);
    }
    assert.equal(report.failed, 0, `failed gets: ${report.failures.join("; ")}`);
    assert.equal(report.wrong, 0, `wrong values: ${report.failures.join("; ")}`);
    assert.ok(report.ok > 500, `too few gets: ${report.ok}`);
  });
});
