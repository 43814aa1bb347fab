import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { createCacheCluster, staticDiscovery, type CacheCluster, type Logger } from "@cachecluster/core";
import { swimMembership } from "../src/index.js";
import { pollUntil } from "./helpers/real.js";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function recorder(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? "") };
}

describe("static discovery of cache URLs with SWIM", () => {
  it("says at once that a cache URL gives no gossip port, and the node still alone after join_timeout says why", async () => {
    const cachePorts = [19091, 19092];
    const urls = cachePorts.map((p) => `http://127.0.0.1:${p}`);
    const clusters: CacheCluster[] = [];
    const loggers = [recorder(), recorder()];
    try {
      for (const [i, cachePort] of cachePorts.entries()) {
        const cluster = await createCacheCluster(
          {
            cache: { port: cachePort, self: urls[i] },
            admin: { port: 0 },
            cluster: { port: await freePort(), host: "127.0.0.1", advertise: "127.0.0.1", heartbeat: 200, name: `node-${i}`, join_timeout: 800 },
          },
          [swimMembership(), staticDiscovery(urls)],
          { logger: loggers[i]! },
        );
        clusters.push(cluster);
        await cluster.listen();
      }
      const [a] = loggers as [ReturnType<typeof recorder>];
      assert.ok(
        a.warnings.some((w) => w.includes(`cannot join ${urls[1]}`) && w.includes("not its gossip port")),
        `no warning about the URL: ${a.warnings.join("\n")}`,
      );
      assert.ok(
        await pollUntil(() => a.warnings.some((w) => w.startsWith("cachecluster: still in local mode")), 5000),
        `no local-mode warning: ${a.warnings.join("\n")}`,
      );
      const local = a.warnings.filter((w) => w.startsWith("cachecluster: still in local mode"));
      assert.equal(local.length, 1);
      assert.match(local[0]!, /membership: 1 peer\(s\) were given as cache URLs \(http:\/\/127\.0\.0\.1:19092\).*list the peers as host:gossip-port/);
      assert.deepEqual(clusters[0]!.health(), { live: true, ready: true, reason: clusters[0]!.health().reason });
      assert.match(clusters[0]!.health().reason, /^local mode after \d+ s: membership: /);
    } finally {
      for (const c of clusters) await c.close();
    }
  });

  it("a node given gossip addresses forms the cluster and is ready", async () => {
    const gossip = [await freePort(), await freePort()];
    const clusters: CacheCluster[] = [];
    try {
      for (const [i, port] of gossip.entries()) {
        const cluster = await createCacheCluster(
          {
            cache: { port: 19093 + i, self: `http://127.0.0.1:${19093 + i}` },
            admin: { port: 0 },
            cluster: { port, host: "127.0.0.1", advertise: "127.0.0.1", heartbeat: 200, name: `g-${i}` },
          },
          [swimMembership(), staticDiscovery(gossip.map((p) => `127.0.0.1:${p}`))],
          { logger: recorder() },
        );
        clusters.push(cluster);
        await cluster.listen();
      }
      assert.ok(await pollUntil(() => clusters.every((c) => c.ring.size === 2), 10_000));
      assert.deepEqual(clusters[1]!.health(), { live: true, ready: true, reason: "joined: 2 peers on the ring" });
    } finally {
      for (const c of clusters) await c.close();
    }
  });
});
