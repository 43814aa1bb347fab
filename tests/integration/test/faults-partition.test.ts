// Fault: a network partition between two groups of nodes, made with Linux network namespaces and veth links
// created by this test (root / CAP_NET_ADMIN). Both sides keep serving every get; after healing, one ring again.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FaultNode, converged, destroyAll, sleep, startNodes, totalLoad, views, waitUntil } from "./faults/cluster-harness.js";
import { PartitionNetwork, listNamespaces, netnsAvailable } from "./faults/netns.js";
import type { LoadReport, NodeConfig } from "./faults/protocol.js";
import { SimulatedPartition } from "./faults/simulated-partition.js";

const available = netnsAvailable();

describe(
  "fault: network partition between two groups of nodes (network namespaces)",
  { skip: available.ok ? false : `ip netns is not available: ${available.ok ? "" : available.reason}` },
  () => {
    let network: PartitionNetwork | undefined;
    let nodes: FaultNode[] = [];

    before(async () => {
      network = new PartitionNetwork(2, 2);
      const seeds = network.nodes.map((n) => `${n.ip}:7946`);
      const configs: NodeConfig[] = network.nodes.map((n, i) => ({
        name: `part-${n.side}${i}`,
        ip: n.ip,
        cachePort: 9080,
        clusterPort: 7946,
        heartbeatMs: 200,
        peerTimeoutMs: 500,
        loadDelayMs: 2,
        discovery: { kind: "static", seeds },
        // Re-dial seeds and failed members every second, so the halves find each other again after healing.
        swim: { reconnectIntervalMs: 1000, pushPullIntervalMs: 2000 },
      }));
      nodes = await startNodes(configs, (_c, i) => network!.nodes[i]!.netns);
    });

    after(async () => {
      await destroyAll(nodes);
      const created = network?.namespaces() ?? [];
      network?.destroy();
      const left = listNamespaces().filter((n) => created.includes(n));
      assert.deepEqual(left, [], "network namespaces were left behind");
    });

    it("keeps both sides serving every get during the partition, and forms one ring again after healing", async (t) => {
      const names = nodes.map((n) => n.name);
      const sideA = nodes.filter((_n, i) => network!.nodes[i]!.side === "a");
      const sideB = nodes.filter((_n, i) => network!.nodes[i]!.side === "b");
      assert.ok(await waitUntil(() => converged(nodes, names), 20_000), `cluster did not form: ${JSON.stringify(await views(nodes))}`);

      const run = async (what: string, phase: () => Promise<void>): Promise<LoadReport[]> => {
        await Promise.all(nodes.map((n) => n.startLoad(20_000, 8, what)));
        await phase();
        return Promise.all(nodes.map((n) => n.stopLoad()));
      };

      let split = false;
      const during = await run("p", async () => {
        await sleep(500);
        network!.partition();
        split =
          (await waitUntil(
            () =>
              converged(
                sideA,
                sideA.map((n) => n.name),
              ),
            20_000,
          )) &&
          (await waitUntil(
            () =>
              converged(
                sideB,
                sideB.map((n) => n.name),
              ),
            10_000,
          ));
        await sleep(1000);
      });
      assert.ok(split, `the sides did not each settle on their own members: ${JSON.stringify(await views(nodes))}`);

      let healed = false;
      const afterHeal = await run("h", async () => {
        network!.heal();
        healed = await waitUntil(() => converged(nodes, names), 30_000);
        await sleep(500);
      });
      assert.ok(healed, `no single ring after healing: ${JSON.stringify(await views(nodes))}`);

      for (const [i, r] of during.entries()) {
        assert.equal(r.failed, 0, `${names[i]} failed gets during the partition: ${r.failures.join("; ")}`);
        assert.equal(r.wrong, 0, `${names[i]} wrong values during the partition: ${r.failures.join("; ")}`);
        // Gets of keys owned across the cut wait for the peer timeout (500 ms) before loading locally: few, but none fail.
        assert.ok(r.ok > 20, `${names[i]} served too few gets during the partition: ${r.ok}`);
      }
      t.diagnostic(`gets during the partition per node: ${during.map((r, i) => `${names[i]}=${r.ok}`).join(" ")}; while healing: ${totalLoad(afterHeal).ok}`);
      const total = totalLoad(afterHeal);
      assert.equal(total.failed, 0, `failed gets while healing: ${total.failures.join("; ")}`);
      assert.equal(total.wrong, 0, `wrong values while healing: ${total.failures.join("; ")}`);
      const rings = new Set((await Promise.all(nodes.map((n) => n.snapshot()))).map((s) => s.ring.join(",")));
      assert.equal(rings.size, 1, "nodes disagree on the ring after healing");
      assert.equal([...rings][0]!.split(",").length, nodes.length);
    });
  },
);

// Where namespaces cannot be created (not root, no iproute2), the same scenario runs on the simulated network.
// CACHECLUSTER_FAULTS_SIMULATED=1 runs it as well on machines that have namespaces.
const simulated = !available.ok || process.env.CACHECLUSTER_FAULTS_SIMULATED === "1";
describe(
  "fault: network partition between two groups of nodes (simulated network fallback)",
  { skip: simulated ? false : "network namespaces are available: the real-process test above runs instead" },
  () => {
    let sim: SimulatedPartition | undefined;

    after(async () => {
      await sim?.close();
    });

    it("keeps both sides serving every get during the partition, and forms one ring again after healing", async () => {
      sim = await SimulatedPartition.create(2, 2);
      const { a, b } = sim.sides();
      assert.ok(await sim.runUntil(() => sim!.converged(sim!.nodes), 30_000), "simulated cluster did not form");
      sim.partition();
      assert.ok(await sim.runUntil(() => sim!.converged(a) && sim!.converged(b), 30_000), "the sides did not each settle on their own members");
      const during = await sim.readAll("p", 50);
      assert.deepEqual(during.failed, []);
      assert.equal(during.ok, 50 * sim.nodes.length);
      sim.heal();
      assert.ok(await sim.runUntil(() => sim!.converged(sim!.nodes), 60_000), "no single ring after healing");
      const afterHeal = await sim.readAll("h", 50);
      assert.deepEqual(afterHeal.failed, []);
    });
  },
);
