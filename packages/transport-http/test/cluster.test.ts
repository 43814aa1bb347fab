import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type CacheCluster, CacheClusterError, alwaysHot, createCacheCluster, staticDiscovery } from "@cachecluster/core";
import { HttpTransport, httpTransport } from "../src/index.js";
import { reservePort } from "./helpers/go-peer.js";

describe("two cachecluster nodes over HTTP", () => {
  const clusters: CacheCluster[] = [];
  const loads: string[][] = [[], []];
  let urls: string[] = [];

  before(async () => {
    const ports = [await reservePort(), await reservePort()];
    urls = ports.map((p) => `http://127.0.0.1:${p}`).sort();
    for (const [i, url] of urls.entries()) {
      const port = Number(new URL(url).port);
      const cluster = await createCacheCluster({ cache: { host: "127.0.0.1", port, self: url }, cluster: { advertise: "127.0.0.1" }, admin: { port: 0 } }, [
        httpTransport(),
        staticDiscovery(urls),
      ]);
      cluster.group("g", {
        hotPolicy: alwaysHot,
        load: (key) => {
          loads[i]!.push(key);
          return `v:${key}`;
        },
      });
      await cluster.listen();
      clusters.push(cluster);
    }
  });
  after(() => Promise.all(clusters.map((c) => c.close({ leaveTimeoutMs: 10 }))));

  const ownerIndex = (key: string): number => urls.indexOf(clusters[0]!.ring.get(key)!);

  it("each key is loaded once, by its owner, whichever node is asked", async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `k ${i}/ü`);
    for (const key of keys) {
      assert.equal(await clusters[0]!.getGroup("g")!.getString(key), `v:${key}`);
      assert.equal(await clusters[1]!.getGroup("g")!.getString(key), `v:${key}`);
    }
    for (const key of keys) {
      const owner = ownerIndex(key);
      assert.deepEqual([loads[0]!.filter((k) => k === key).length, loads[1]!.filter((k) => k === key).length], owner === 0 ? [1, 0] : [0, 1], key);
    }
  });

  it("set() stores at the owner; remove() at the owner also drops the other node's hot copy over HTTP DELETE", async () => {
    const key = Array.from({ length: 100 }, (_, i) => `sr-${i}`).find((k) => ownerIndex(k) === 1)!;
    const [a, b] = [clusters[0]!.getGroup("g")!, clusters[1]!.getGroup("g")!];
    assert.equal(await a.getString(key), `v:${key}`); // fetched from node 1, now hot on node 0 (alwaysHot)
    await a.set(key, "new value", { ttl: 60_000 });
    assert.equal(await a.getString(key), "new value");
    assert.equal(await b.getString(key), "new value");
    assert.equal(await a.getString(key), "new value"); // hot on node 0 again
    await b.remove(key); // node 1 owns it: deletes locally, DELETE to node 0 drops the hot copy
    const before = loads[1]!.filter((k) => k === key).length;
    assert.equal(await a.getString(key), `v:${key}`);
    assert.equal(loads[1]!.filter((k) => k === key).length, before + 1, "reloaded by the owner after remove");
  });

  it("an unknown group on the peer is a PeerError at the client", async () => {
    const transport = new HttpTransport();
    try {
      await assert.rejects(
        transport.client.fetch(urls[0]!, "nope", "k"),
        (e: unknown) => e instanceof CacheClusterError && e.name === "PeerError" && /no such group: nope/.test(e.message),
      );
    } finally {
      await transport.stop();
    }
  });
});

describe("a cluster whose owner peer is down", () => {
  it("loads locally and counts the PeerError", async () => {
    const [port, dead] = [await reservePort(), await reservePort()];
    const self = `http://127.0.0.1:${port}`;
    const deadUrl = `http://127.0.0.1:${dead}`;
    const cluster = await createCacheCluster(
      { cache: { host: "127.0.0.1", port, self, timeout: 500 }, cluster: { advertise: "127.0.0.1" }, admin: { port: 0 } },
      [httpTransport(), staticDiscovery([self, deadUrl])],
    );
    const group = cluster.group("g", { load: (key) => `local:${key}` });
    await cluster.listen();
    try {
      const key = Array.from({ length: 100 }, (_, i) => `d-${i}`).find((k) => cluster.ring.get(k) === deadUrl)!;
      assert.equal(await group.getString(key), `local:${key}`);
      assert.equal(group.stats.peerErrors, 1);
      assert.equal(group.stats.localLoads, 1);
    } finally {
      await cluster.close({ leaveTimeoutMs: 10 });
    }
  });

  it("listen() twice, or after stop(), is refused with a coded error", async () => {
    const transport = new HttpTransport();
    const handler = { get: async () => ({ value: new Uint8Array(0) }), remove: async () => {}, set: async () => {}, isMemberAddress: () => true };
    await transport.listen(handler, { host: "127.0.0.1", port: 0 });
    await assert.rejects(transport.listen(handler, { host: "127.0.0.1", port: 0 }), { code: "CACHECLUSTER_INVALID_ARGUMENT" });
    await transport.stop();
    await assert.rejects(transport.listen(handler, { host: "127.0.0.1", port: 0 }), { code: "CACHECLUSTER_STOPPED" });
  });
});
