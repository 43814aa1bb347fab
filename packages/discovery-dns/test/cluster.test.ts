// Three cache nodes in this process, found through a local DNS server: SWIM membership over UDP/TCP and the HTTP
// transport, as the demo wires them, with DNS discovery in place of GCE's.
import assert from "node:assert/strict";
import { after, afterEach, describe, it } from "node:test";
import { type CacheCluster, createCacheCluster } from "@cachecluster/core";
import { swimMembership } from "@cachecluster/membership-swim";
import { httpTransport } from "@cachecluster/transport-http";
import { dnsDiscovery, type DnsDiscovery } from "../src/index.js";
import { FakeDnsServer, type NameRecords } from "./dns-server.js";
import { sleep, until } from "./helpers.js";

// Loopback addresses private to this run (127.53.<pid>.x), so the nodes can share port numbers like a fleet.
const prefix = `127.53.${process.pid % 250}.`;
const ip = (i: number): string => `${prefix}${11 + i}`;
const CACHE_PORT = 9080;
const CLUSTER_PORT = 7946;
const url = (i: number): string => `http://${ip(i)}:${CACHE_PORT}`;

interface Variant {
  readonly title: string;
  readonly name: string;
  /** The nodes' cluster ports (the SRV variant gives each its own, carried by the SRV records). */
  readonly clusterPort: (i: number) => number;
  readonly records: (nodes: readonly number[]) => Record<string, NameRecords>;
  readonly type: "A" | "SRV";
}

const variants: Variant[] = [
  {
    title: "A records (a Kubernetes headless service)",
    name: "cache.cluster.test",
    type: "A",
    clusterPort: () => CLUSTER_PORT,
    records: (nodes) => ({ "cache.cluster.test": { A: nodes.map((i) => ({ address: ip(i), ttl: 0 })) } }),
  },
  {
    title: "SRV records (Consul: one target per node, each with its own gossip port)",
    name: "_gossip._udp.cache.cluster.test",
    type: "SRV",
    clusterPort: (i) => CLUSTER_PORT + 10 + i,
    records: (nodes) => ({
      "_gossip._udp.cache.cluster.test": { SRV: nodes.map((i) => ({ target: `node-${i}.node.cluster.test`, port: CLUSTER_PORT + 10 + i })) },
      ...Object.fromEntries([0, 1, 2, 3].map((i) => [`node-${i}.node.cluster.test`, { A: [{ address: ip(i), ttl: 0 }] }])),
    }),
  },
];

let dns: FakeDnsServer | undefined;
const running: CacheCluster[] = [];
afterEach(async () => {
  for (const node of running.splice(0)) await node.close({ leaveTimeoutMs: 200 });
  await dns?.close();
  dns = undefined;
});
after(async () => {
  await dns?.close();
});

function publish(variant: Variant, nodes: readonly number[]): void {
  for (const [name, records] of Object.entries(variant.records(nodes))) dns?.set(name, records);
}

async function startNode(variant: Variant, i: number, loads: Map<string, number>): Promise<CacheCluster> {
  const server = dns;
  assert.ok(server !== undefined);
  const node = await createCacheCluster(
    {
      cache: { host: ip(i), port: CACHE_PORT },
      admin: { host: ip(i), port: 0 },
      cluster: { host: ip(i), advertise: ip(i), port: variant.clusterPort(i), name: `node-${i}`, heartbeat: 100 },
      dns: { name: variant.name, type: variant.type, servers: [server.address], refresh: 1_000, min_refresh: 100, timeout: 1_000 },
    },
    [dnsDiscovery({ jitter: 0, backoffBaseMs: 50, backoffCapMs: 100 }), swimMembership({ probeTimeoutMs: 50 }), httpTransport()],
  );
  running.push(node);
  node.group("reports", {
    maxBytes: 1 << 20,
    load: (key) => {
      loads.set(key, (loads.get(key) ?? 0) + 1);
      return `report ${key}`;
    },
  });
  await node.listen();
  return node;
}

const ringOf = (node: CacheCluster): string => [...node.ring.peers].join(" ");
const ringIs = (nodes: readonly CacheCluster[], members: readonly number[]): boolean =>
  nodes.every((node) => ringOf(node) === members.map(url).sort().join(" "));

for (const variant of variants) {
  describe(`a 3-node cluster found through DNS, ${variant.title}`, () => {
    it("nodes started before DNS lists them cluster when the answer grows; a node leaves the ring when it leaves, not when DNS drops it", async () => {
      dns = await FakeDnsServer.start("cluster.test");
      dns.set(variant.name, {}); // the name exists, with no records yet (no pod is ready)
      const loads = new Map<string, number>();
      const [n0, n1, n2] = [await startNode(variant, 0, loads), await startNode(variant, 1, loads), await startNode(variant, 2, loads)];
      assert.ok(n0 !== undefined && n1 !== undefined && n2 !== undefined);
      const discovery = (node: CacheCluster): DnsDiscovery => node.discovery as DnsDiscovery;

      // Nothing listed: every node serves alone, its discovery reporting why.
      await until(() => [n0, n1, n2].every((n) => discovery(n).stats().failuresTotal >= 2), "two failed lookups per node");
      assert.ok(ringIs([n0], [0]) && ringIs([n1], [1]) && ringIs([n2], [2]), "a node joined without DNS listing anyone");
      assert.equal(discovery(n0).currentError?.kind, "no-records");

      // The answer grows to node 0: nodes 1 and 2 find it, and through it each other.
      publish(variant, [0]);
      await until(() => ringIs([n0, n1, n2], [0, 1, 2]), "a ring of nodes 0, 1, 2 on every node", 15_000);
      // ... and to all three: nothing changes, they are members already.
      publish(variant, [0, 1, 2]);
      await until(() => discovery(n0).peers().length === 3, "node 0 seeing the three records");
      assert.ok(ringIs([n0, n1, n2], [0, 1, 2]));

      // One load per key in the whole cluster, wherever it is asked for.
      for (const node of [n0, n1, n2]) assert.equal(await node.getGroup("reports")?.getString("q3"), "report q3");
      assert.equal(loads.get("q3"), 1);

      // DNS drops node 2: it stays in the ring while it is alive (membership, not discovery, decides) ...
      publish(variant, [0, 1]);
      await until(() => discovery(n0).peers().length === 2 && discovery(n1).peers().length === 2, "nodes 0 and 1 seeing two records");
      await sleep(300);
      assert.ok(ringIs([n0, n1, n2], [0, 1, 2]), "a live member left the ring because DNS dropped it");
      // ... and leaves it when it leaves the cluster.
      running.splice(running.indexOf(n2), 1);
      await n2.close({ leaveTimeoutMs: 500 });
      await until(() => ringIs([n0, n1], [0, 1]), "a ring of nodes 0 and 1", 10_000);
      assert.ok(n0.events().some((e) => e.type === "leave" && e.member.id === "node-2"));

      // A replacement listed in DNS joins.
      publish(variant, [0, 1, 3]);
      const n3 = await startNode(variant, 3, loads);
      await until(() => ringIs([n0, n1, n3], [0, 1, 3]), "a ring of nodes 0, 1, 3 on every node", 15_000);
    });
  });
}
