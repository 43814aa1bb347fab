// The partition scenario on the simulated network (@cachecluster/testing/memory-network), for machines where
// network namespaces cannot be created: whole CacheClusters in one process, SWIM on the in-memory datagram
// network with a virtual clock, and an in-memory transport that honours the same partition.
import {
  type CacheCluster,
  type Group,
  PeerError,
  type PeerRequestHandler,
  type Transport,
  TransportToken,
  createCacheCluster,
  staticDiscovery,
} from "@cachecluster/core";
import { swimMembership } from "@cachecluster/membership-swim";
import { MemoryNetwork } from "@cachecluster/testing/memory-network";
import { ContainerModule } from "inversify";
import { expectedValue } from "./protocol.js";

/** Peer calls between in-process clusters, refused when the network says the two hosts cannot reach each other. */
function memoryTransport(net: MemoryNetwork, self: string, registry: Map<string, PeerRequestHandler>): Transport {
  const hostOf = (url: string): string => new URL(url).hostname;
  const handlerFor = (peerUrl: string): PeerRequestHandler => {
    const handler = registry.get(peerUrl);
    if (handler === undefined || !net.reachable(self, hostOf(peerUrl))) throw new PeerError(peerUrl, "unreachable (simulated partition)");
    return handler;
  };
  return {
    client: {
      fetch: async (peerUrl, group, key, options) => handlerFor(peerUrl).get(group, key, options),
      remove: async (peerUrl, group, key) => handlerFor(peerUrl).remove(group, key),
      set: async (peerUrl, group, key, value) => handlerFor(peerUrl).set(group, key, value),
    },
    async listen(handler) {
      const url = `http://${self}:9080`;
      registry.set(url, handler);
      return { url, port: 9080 };
    },
    async start() {},
    async stop() {
      registry.delete(`http://${self}:9080`);
    },
  };
}

export interface SimulatedNode {
  readonly ip: string;
  readonly side: "a" | "b";
  readonly cluster: CacheCluster;
  readonly group: Group;
}

export class SimulatedPartition {
  readonly net = new MemoryNetwork({ seed: 7 });
  readonly nodes: SimulatedNode[] = [];

  static async create(sideA: number, sideB: number): Promise<SimulatedPartition> {
    const sim = new SimulatedPartition();
    const registry = new Map<string, PeerRequestHandler>();
    const hosts = Array.from({ length: sideA + sideB }, () => sim.net.host());
    const seeds = hosts.map((h) => `${h.ip}:7946`);
    for (const [i, host] of hosts.entries()) {
      const transport = memoryTransport(sim.net, host.ip, registry);
      const cluster = await createCacheCluster(
        {
          cache: { host: host.ip, port: 9080, self: `http://${host.ip}:9080` },
          cluster: { host: host.ip, advertise: host.ip, port: 7946, heartbeat: 200, name: `sim-${i}` },
        },
        [
          staticDiscovery(seeds),
          swimMembership({ reconnectIntervalMs: 1000, pushPullIntervalMs: 2000 }, { network: host.network, clock: host.clock, random: host.random }),
          new ContainerModule(({ bind }) => {
            bind(TransportToken).toConstantValue(transport);
          }),
        ],
      );
      const group = cluster.group("faults", { maxBytes: 1 << 20, load: (key) => expectedValue(key) });
      sim.nodes.push({ ip: host.ip, side: i < sideA ? "a" : "b", cluster, group });
    }
    for (const node of sim.nodes) await node.cluster.listen({ admin: false });
    return sim;
  }

  sides(): { a: SimulatedNode[]; b: SimulatedNode[] } {
    return { a: this.nodes.filter((n) => n.side === "a"), b: this.nodes.filter((n) => n.side === "b") };
  }

  partition(): void {
    const { a, b } = this.sides();
    this.net.partition(
      a.map((n) => n.ip),
      b.map((n) => n.ip),
    );
  }

  heal(): void {
    this.net.heal();
  }

  /** True when every node in `nodes` sees exactly them as alive members and all rings are equal. */
  converged(nodes: readonly SimulatedNode[]): boolean {
    const want = nodes
      .map((n) => `http://${n.ip}:9080`)
      .sort()
      .join(",");
    return nodes.every(
      (n) =>
        n.cluster
          .members()
          .filter((m) => m.state === "alive")
          .map((m) => m.cacheUrl)
          .sort()
          .join(",") === want && n.cluster.ring.peers.join(",") === want,
    );
  }

  /** Advance virtual time until `done` or `maxMs` passed. */
  runUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    return this.net.scheduler.runUntil(done, maxMs, 100);
  }

  /** Every node reads `count` fresh keys; returns failures and wrong values. */
  async readAll(prefix: string, count: number): Promise<{ ok: number; failed: string[] }> {
    let ok = 0;
    const failed: string[] = [];
    for (const node of this.nodes) {
      for (let i = 0; i < count; i++) {
        const key = `${prefix}-${node.ip}-${i}`;
        try {
          const value = new TextDecoder().decode(await node.group.get(key));
          if (value === expectedValue(key)) ok++;
          else failed.push(`${node.ip} ${key}: wrong value`);
        } catch (error) {
          failed.push(`${node.ip} ${key}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    return { ok, failed };
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => Promise.race([n.cluster.close({ leaveTimeoutMs: 1 }), this.net.scheduler.runFor(2000)])));
  }
}
