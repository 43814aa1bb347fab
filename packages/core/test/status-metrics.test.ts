import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ContainerModule } from "inversify";
import { ConfigToken, MembershipToken, type CacheClusterConfig, type Observable } from "../src/index.js";
import { DirectMembership } from "../src/membership/direct-membership.js";
import { metricSuffix, RING_SHARE_SERIES_LIMIT } from "../src/status/cluster-metrics.js";
import { closeAll, connect, getText, parseExposition, startNode, type TestNode } from "./status-nodes.js";

/** DirectMembership that reports stats, one of them colliding with a core metric name. */
class CountingMembership extends DirectMembership implements Observable {
  probes = 0;
  stats(): Record<string, number> {
    return { probes_total: this.probes, suspicionTimeoutMs: 1500, events_total: 999, broken: Number.NaN };
  }
}

const countingMembership = new ContainerModule(({ bind }) => {
  bind(MembershipToken).toResolvedValue((config: CacheClusterConfig) => CountingMembership.fromConfig(config), [ConfigToken]);
});

describe("Prometheus metrics", () => {
  let a: TestNode;
  let b: TestNode;

  before(async () => {
    a = await startNode("node-a", {}, [countingMembership]);
    b = await startNode("node-b");
    for (const n of [a, b]) n.cluster.group("thumbs", { maxBytes: 1 << 20, load: (key) => `thumb:${key}` });
    a.cluster.group("empty", { load: () => "" });
    await connect([a, b]);
  });
  after(() => closeAll([a, b]));

  async function scrape(node: TestNode, path = "/_cachecluster/metrics") {
    const res = await getText(`${node.admin}${path}`);
    assert.equal(res.status, 200);
    assert.equal(res.type, "text/plain; version=0.0.4; charset=utf-8");
    return parseExposition(res.body);
  }

  it("exports group counters, cache gauges, members, ring shares and event counts with the values of the engine", async () => {
    const thumbs = a.cluster.getGroup("thumbs")!;
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
    for (const key of keys) await thumbs.get(key);
    const own = keys.filter((k) => a.cluster.ring.get(k) === a.cluster.local.cacheUrl);
    for (const key of own) await thumbs.get(key);

    const { samples, types } = await scrape(a);
    const g = (name: string) => samples.get(`cachecluster_group_${name}{group="thumbs"}`);
    assert.equal(g("gets_total"), 30 + own.length);
    assert.equal(g("cache_hits_total"), own.length);
    assert.equal(g("loads_total"), 30);
    assert.equal(g("loads_deduped_total"), 30);
    assert.equal(g("local_loads_total"), own.length);
    assert.equal(g("peer_loads_total"), 30 - own.length);
    assert.equal(g("peer_errors_total"), 0);
    assert.equal(g("local_load_errors_total"), 0);
    assert.equal(g("server_requests_total"), 0);
    assert.equal(samples.get(`cachecluster_group_gets_total{group="empty"}`), 0, "groups without traffic are exported at 0");
    assert.equal(samples.get(`cachecluster_group_max_bytes{group="thumbs"}`), 1 << 20);

    const main = thumbs.cacheStats("main");
    const hot = thumbs.cacheStats("hot");
    assert.equal(samples.get(`cachecluster_cache_bytes{group="thumbs",kind="main"}`), main.bytes);
    assert.equal(samples.get(`cachecluster_cache_bytes{group="thumbs",kind="hot"}`), hot.bytes);
    assert.equal(samples.get(`cachecluster_cache_items{group="thumbs",kind="main"}`), own.length);
    assert.equal(samples.get(`cachecluster_cache_evictions_total{group="thumbs",kind="main"}`), 0);
    assert.equal(samples.get(`cachecluster_cache_hits_total{group="thumbs",kind="main"}`), main.hits);

    assert.equal(samples.get(`cachecluster_members{state="alive"}`), 2);
    assert.equal(samples.get(`cachecluster_members{state="dead"}`), 0);
    const shares = a.cluster.ring.shares();
    assert.equal(samples.get(`cachecluster_ring_share{member="node-b",url="${b.url}"}`), shares.get(b.url));
    assert.equal(samples.get(`cachecluster_ring_share{member="node-a",url="${a.url}"}`), shares.get(a.url));
    assert.equal(samples.get("cachecluster_ring_peers"), 2);
    assert.equal(samples.get(`cachecluster_membership_events_total{type="join"}`), 1);
    assert.equal(samples.get(`cachecluster_membership_events_total{type="fail"}`), 0);
    assert.equal(samples.get(`cachecluster_node_info{name="node-a",url="${a.url}"}`), 1);
    assert.ok((samples.get("cachecluster_uptime_seconds") ?? -1) >= 0);

    for (const [name, type] of types) {
      assert.equal(
        type,
        name.endsWith("_total") ? "counter" : name.endsWith("_seconds") && type === "histogram" ? "histogram" : "gauge",
        `${name} is a ${type}`,
      );
    }

    const { samples: bSamples } = await scrape(b);
    assert.equal(bSamples.get(`cachecluster_group_server_requests_total{group="thumbs"}`), 30 - own.length, "B served what A fetched");
  });

  it("collects on every scrape: counters follow more gets", async () => {
    const before = (await scrape(a)).samples.get(`cachecluster_group_gets_total{group="thumbs"}`) ?? 0;
    for (let i = 0; i < 5; i++) await a.cluster.getGroup("thumbs")!.get(`more-${i}`);
    const after = (await scrape(a, "/metrics")).samples.get(`cachecluster_group_gets_total{group="thumbs"}`);
    assert.equal(after, before + 5);
  });

  it("exports stats() of observable components as cachecluster_<role>_<key>, core names winning collisions", async () => {
    const membership = a.cluster.membership as CountingMembership;
    membership.probes = 41;
    const first = await scrape(a);
    assert.equal(first.samples.get("cachecluster_membership_probes_total"), 41);
    assert.equal(first.types.get("cachecluster_membership_probes_total"), "counter");
    assert.equal(first.samples.get("cachecluster_membership_suspicion_timeout_seconds"), 1.5, "an undescribed _ms key is exported in seconds");
    assert.equal(first.types.get("cachecluster_membership_suspicion_timeout_seconds"), "gauge");
    assert.equal(first.samples.has("cachecluster_membership_broken"), false, "non-finite values are skipped");
    assert.equal(first.samples.get(`cachecluster_membership_events_total{type="join"}`), 1, "core's metric kept");
    assert.equal(first.samples.has("cachecluster_membership_events_total"), false);
    assert.ok(((await scrape(b)).samples.get("cachecluster_transport_requests_total") ?? 0) > 0, "B's transport served A's fetches");
    assert.equal(first.types.get("cachecluster_transport_in_flight"), "gauge");
    membership.probes = 42;
    assert.equal((await scrape(a)).samples.get("cachecluster_membership_probes_total"), 42);
  });

  it("keeps each cluster's metrics in its own registry", async () => {
    assert.notEqual(a.cluster.metrics.registry, b.cluster.metrics.registry);
    const text = await b.cluster.metrics.metrics();
    assert.doesNotMatch(text, /cachecluster_membership_probes_total/);
    assert.match(text, /cachecluster_node_info\{name="node-b"/);
  });

  it("exports only this node's own ring share when the ring has more than RING_SHARE_SERIES_LIMIT peers", async () => {
    const node = await startNode("big");
    try {
      const peers = Array.from({ length: RING_SHARE_SERIES_LIMIT + 50 }, (_, i) => ({
        host: "10.0.0.1",
        cacheUrl: `http://10.0.${i >> 8}.${i & 255}:9080`,
        name: `m${i}`,
      }));
      await node.cluster.membership.join(peers);
      const { samples } = parseExposition(await node.cluster.metrics.metrics());
      const shares = [...samples.keys()].filter((k) => k.startsWith("cachecluster_ring_share{"));
      assert.deepEqual(shares, [`cachecluster_ring_share{member="big",url="${node.url}"}`]);
      assert.equal(samples.get(shares[0]!), node.cluster.ring.shares().get(node.url));
      assert.equal(samples.get("cachecluster_ring_peers"), RING_SHARE_SERIES_LIMIT + 51);
    } finally {
      await closeAll([node]);
    }
  });

  it("turns stats keys into valid metric name suffixes", () => {
    assert.equal(metricSuffix("peerRequests"), "peer_requests");
    assert.equal(metricSuffix("open-sockets.v4"), "open_sockets_v4");
    assert.equal(metricSuffix("2xx_total"), "_2xx_total");
    assert.equal(metricSuffix("bytes_in_total"), "bytes_in_total");
  });
});
