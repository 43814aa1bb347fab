import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type CacheCluster, HashRing } from "@cachecluster/core";
import { buildGoProgram } from "@cachecluster/testing/go";
import type { HttpTransport } from "../src/index.js";
import { GoPeer } from "./helpers/go-peer.js";
import { reserveNodeUrls, startNodePeers } from "./helpers/node-peers.js";

/**
 * getMany in a mixed cluster on loopback: 1 golang/groupcache peer + 2 cachecluster nodes (127.0.0.61, .62).
 * A Node node's getMany sends one batch to the other Node node, and to the Go peer (which has no batch route)
 * one probe that its ServeMux answers 404, then single-key GETs; every key is still loaded once, by its owner.
 */
const GROUP = "g";

describe("getMany with a golang/groupcache peer in the cluster (1 Go + 2 cachecluster nodes)", { timeout: 60_000 }, () => {
  let go: GoPeer;
  const clusters: CacheCluster[] = [];
  const nodeLoads = new Map<string, string[]>();
  let ring: HashRing;

  before(async () => {
    go = await GoPeer.start(await buildGoProgram("groupcache-peer"), ["-group", GROUP]);
    const urls = await reserveNodeUrls(["127.0.0.61", "127.0.0.62"]);
    const peers = [go.url, ...urls].sort();
    ring = new HashRing(peers);
    await go.setPeers(peers);
    const nodes = await startNodePeers(urls, peers, GROUP, { hotPolicy: () => false });
    clusters.push(...nodes.clusters);
    for (const [url, loads] of nodes.loads) nodeLoads.set(url, loads);
  });

  after(async () => {
    await Promise.all(clusters.map((c) => c.close({ leaveTimeoutMs: 10 })));
    await go.stop();
  });

  it("every key of a page reads its value and is loaded once, by its owner; the Node owner gets one batch, the Go owner single GETs", async () => {
    const [via, other] = clusters as [CacheCluster, CacheCluster];
    const keys = Array.from({ length: 60 }, (_, i) => `page-${i}`);
    const owners = keys.map((k) => ring.get(k));
    assert.ok(owners.includes(go.url) && owners.includes(other.local.cacheUrl), "the page spans the Go peer and the other Node node");
    const otherTransport = other.transport as HttpTransport;
    const batchesBefore = otherTransport.serverStats.batches;

    const first = await via.getGroup(GROUP)!.getMany(keys);
    assert.deepEqual(
      first.map((r) => (r.status === "fulfilled" ? new TextDecoder().decode(r.value) : String(r.reason))),
      keys.map((k) => `value-of:${k}`),
    );
    assert.equal(otherTransport.serverStats.batches - batchesBefore, 1, "one batch to the Node owner");
    assert.equal(otherTransport.serverStats.gets, 0, "no single-key GET to the Node owner");

    // Again, through the same node: the values come from the owners' caches (no hot copies here), nothing loads again.
    const second = await via.getGroup(GROUP)!.getMany(keys);
    assert.ok(second.every((r) => r.status === "fulfilled"));

    const goLoads = await go.loads();
    for (const [i, key] of keys.entries()) {
      const loaders = [...(goLoads.includes(key) ? [go.url] : []), ...[...nodeLoads].filter(([, loads]) => loads.includes(key)).map(([url]) => url)];
      assert.deepEqual(loaders, [owners[i]], `key ${key} loaded once, by its owner`);
    }
    for (const loads of nodeLoads.values()) assert.equal(new Set(loads).size, loads.length, "no key loaded twice at a Node node");
    const stats = via.getGroup(GROUP)!.stats;
    assert.equal(stats.peerErrors, 0, "no fetch failed: the Go peer's 404 to the batch route is not a failure");
    assert.equal(stats.batchGets, 2);
  });
});
