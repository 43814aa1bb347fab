import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ClusterStatus } from "../src/index.js";
import { closeAll, connect, getText, startNode, type TestNode } from "./status-nodes.js";

describe("status.json", () => {
  let a: TestNode;
  let b: TestNode;
  const loads = new Map<string, number>();

  before(async () => {
    a = await startNode("node-a");
    b = await startNode("node-b");
    for (const n of [a, b]) {
      n.cluster.group("thumbs", {
        maxBytes: 1 << 20,
        load: (key) => {
          loads.set(key, (loads.get(key) ?? 0) + 1);
          return `thumb:${key}`;
        },
      });
    }
  });
  after(() => closeAll([a, b]));

  it("reports a lone node in local mode with itself as the only member owning the whole ring", async () => {
    const status = JSON.parse((await getText(`${a.admin}/_cachecluster/status.json`)).body) as ClusterStatus;
    assert.equal(status.mode, "local");
    assert.equal(status.node.name, "node-a");
    assert.equal(status.node.url, a.url);
    assert.equal(status.node.state, "listening");
    assert.deepEqual(
      status.members.map((m) => [m.id, m.self, m.share]),
      [["node-a", true, 1]],
    );
  });

  it("reports members, their states and incarnations, ring shares, group and cache stats, and join events once clustered", async () => {
    await connect([a, b]);
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const thumbs = a.cluster.getGroup("thumbs")!;
    for (const key of keys) assert.equal(await thumbs.getString(key), `thumb:${key}`);
    const own = keys.filter((k) => a.cluster.ring.get(k) === a.cluster.local.cacheUrl);
    for (const key of own) await thumbs.getString(key); // hits in the main cache

    const res = await getText(`${a.admin}/_cachecluster/status.json`);
    assert.equal(res.status, 200);
    assert.match(res.type, /^application\/json/);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const status = JSON.parse(res.body) as ClusterStatus;

    assert.equal(status.version, 1);
    assert.equal(status.mode, "clustered");
    assert.equal(status.node.name, "node-a");
    assert.ok(status.node.uptimeMs >= 0 && status.node.uptimeMs < 60_000, `uptime ${status.node.uptimeMs}`);
    assert.deepEqual(
      status.members.map((m) => ({ id: m.id, cacheUrl: m.cacheUrl, state: m.state, incarnation: m.incarnation, self: m.self })),
      [
        { id: "node-a", cacheUrl: a.url, state: "alive", incarnation: 0, self: true },
        { id: "node-b", cacheUrl: b.url, state: "alive", incarnation: 0, self: false },
      ],
    );
    const shares = a.cluster.ring.shares();
    for (const m of status.members) assert.equal(m.share, shares.get(m.cacheUrl));
    const total = status.members.reduce((sum, m) => sum + m.share, 0);
    assert.ok(Math.abs(total - 1) < 1e-9, `shares sum to ${total}`);
    assert.ok(
      status.members.every((m) => m.share > 0.05),
      "both own part of the ring",
    );
    assert.deepEqual(
      status.ring.peers.map((p) => p.member),
      [a.url, b.url].sort().map((u) => (u === a.url ? "node-a" : "node-b")),
    );
    assert.equal(status.ring.replicas, 50);

    const [group] = status.groups;
    assert.ok(group !== undefined);
    assert.equal(group.name, "thumbs");
    assert.equal(group.maxBytes, 1 << 20);
    assert.equal(group.stats.gets, 40 + own.length);
    assert.equal(group.stats.localLoads, own.length);
    assert.equal(group.stats.peerLoads + group.stats.localLoads, 40, "every miss loaded exactly once, here or at the owner");
    assert.equal(group.stats.peerErrors, 0);
    assert.equal(group.caches.main.items, own.length);
    assert.ok(group.caches.main.bytes > 0);
    assert.equal(group.stats.cacheHits, own.length);
    assert.equal(group.hitRatio, own.length / (40 + own.length));

    const bStatus = b.cluster.status();
    assert.equal(bStatus.groups[0]?.stats.serverRequests, group.stats.peerLoads, "what A fetched, B served");
    assert.deepEqual(
      status.events.map((e) => [e.type, e.member.id, e.member.cacheUrl]),
      [["join", "node-b", b.url]],
    );
    assert.equal(status.components.transport?.kind, "LoopbackHttpTransport");
    assert.ok((bStatus.components.transport?.stats?.requests_total ?? 0) >= group.stats.peerLoads, "B's transport counted the fetches it served");
    assert.equal(status.components.membership?.kind, "DirectMembership");
    assert.equal(status.components.membership?.stats, null, "DirectMembership reports no stats");
  });

  it("cluster.status() is the same object the route serves", async () => {
    const fromRoute = JSON.parse((await getText(`${a.admin}/_cachecluster/status.json`)).body) as ClusterStatus;
    const direct = a.cluster.status();
    // Rates depend on the moment of the read: compared elsewhere.
    const timeless = (s: ClusterStatus) => ({
      ...s,
      generatedAt: 0,
      node: { ...s.node, uptimeMs: 0 },
      components: null,
      rateWindowMs: 0,
      groups: s.groups.map((g) => ({ ...g, ratesPerSecond: null })),
    });
    assert.deepEqual(timeless(fromRoute), timeless(direct));
  });

  it("answers an unknown path under the prefix with a 404 JSON body, and other methods with 405", async () => {
    const missing = await getText(`${a.admin}/_cachecluster/nope?x=1`);
    assert.equal(missing.status, 404);
    assert.match(missing.type, /^application\/json/);
    assert.deepEqual(JSON.parse(missing.body), {
      error: "not found",
      path: "/_cachecluster/nope",
      routes: ["/_cachecluster/status", "/_cachecluster/status.json", "/_cachecluster/metrics"],
    });
    const post = await getText(`${a.admin}/_cachecluster/status.json`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    const index = await getText(`${a.admin}/_cachecluster/`);
    assert.equal(index.status, 302);
    assert.equal(index.headers.get("location"), "/_cachecluster/status");
  });

  it("serves the page as self-contained HTML with a nonce-only script policy", async () => {
    const page = await getText(`${a.admin}/_cachecluster/status`);
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    const csp = page.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce !== undefined, csp);
    assert.match(csp, /default-src 'none'/);
    assert.equal([...page.body.matchAll(/<script\b/g)].length, 1);
    assert.ok(page.body.includes(`<script nonce="${nonce}">`));
    assert.doesNotMatch(page.body, /\ssrc=/, "no external scripts or images");
    assert.deepEqual(
      [...page.body.matchAll(/<link\b[^>]*>/g)].map((m) => m[0]),
      ['<link rel="icon" href="data:,">'],
      "no external stylesheets",
    );
    assert.doesNotMatch(page.body, /@import|url\(/, "no assets loaded from CSS");
    assert.ok(page.body.includes('data-member="node-b"'));
    assert.ok(page.body.includes('data-group="thumbs"'));
    const again = await getText(`${a.admin}/_cachecluster/status`);
    assert.notEqual(/nonce-([^']+)/.exec(again.headers.get("content-security-policy") ?? "")?.[1], nonce, "a fresh nonce per response");
  });
});

describe("status routes on listen()", () => {
  it("serve metrics on /metrics too by default, and not when metricsPath is false", async () => {
    const plain = await startNode("plain");
    const noAlias = await startNode("no-alias", { metricsPath: false });
    try {
      assert.equal((await getText(`${plain.admin}/metrics`)).status, 200);
      assert.equal((await getText(`${plain.admin}/metricsfoo`)).status, 404);
      assert.equal((await getText(`${noAlias.admin}/metrics`)).status, 404);
      assert.equal((await getText(`${noAlias.admin}/_cachecluster/metrics`)).status, 200);
    } finally {
      await closeAll([plain, noAlias]);
    }
  });

  it("are not mounted with statusRoutes: false, and user routes come first", async () => {
    const node = await startNode("bare", {
      statusRoutes: false,
      routes: [{ prefix: "/hello", handle: (_req, res) => void res.end("hi") }],
    });
    try {
      assert.equal((await getText(`${node.admin}/_cachecluster/status.json`)).status, 404);
      assert.equal((await getText(`${node.admin}/metrics`)).status, 404);
      assert.equal((await getText(`${node.url}/hello`)).body, "hi");
    } finally {
      await closeAll([node]);
    }
  });

  it("rejects a metricsPath that is not a path", async () => {
    const { createCacheCluster } = await import("../src/index.js");
    const { fakeHttpTransport } = await import("./status-fake-transport.js");
    const cluster = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" } }, [fakeHttpTransport()]);
    await assert.rejects(cluster.listen({ metricsPath: "metrics" }), { code: "CACHECLUSTER_INVALID_ARGUMENT" });
    assert.equal(cluster.state, "stopped");
  });
});
