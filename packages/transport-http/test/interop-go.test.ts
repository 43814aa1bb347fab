import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type CacheCluster, HashRing, PeerError } from "@cachecluster/core";
import { buildGoProgram } from "@cachecluster/testing/go";
import { HttpTransport } from "../src/index.js";
import { decodeGetResponse } from "../src/wire/get-response.js";
import { GoPeer } from "./helpers/go-peer.js";
import { reserveNodeUrls, startNodePeers } from "./helpers/node-peers.js";

/**
 * A mixed cluster on loopback: 2 golang/groupcache peers (packages/testing/go/groupcache-peer, on 127.0.0.1) + 2 cachecluster
 * nodes on addresses of their own (127.0.0.51, .52; createCacheCluster + httpTransport + staticDiscovery,
 * DirectMembership), one sorted peer list. The Node nodes run with the default peer access checks: reads and
 * writes from current members' addresses only, so every Go→Node fetch proves a Go member is served.
 *
 * Known golang/groupcache behaviour the assertions spell out: its client escapes a space as `+` and its
 * server decodes the path with path rules, where `+` stays a plus, so a Go peer asking another Go peer for
 * `a b` makes the owner load `a+b`. Our client sends `%20` and our server reads `+` as a space, so every
 * exchange that involves a cachecluster node is exact. Keys Go's ServeMux would redirect (`//`, `.`/`..`
 * segments, a leading `/`) are left out: a Go owner cannot serve them to anyone.
 */
const execFileP = promisify(execFile);
const GROUP = "g";

function keySet(): string[] {
  const keys = new Set<string>();
  for (let i = 0; i < 240; i++) keys.add(`key-${i}`);
  for (let i = 0; i < 20; i++) keys.add(`with space ${i}`);
  for (const k of [
    "",
    "a/b",
    "a/b/c",
    "trailing/",
    "+",
    "a+b",
    "1+1=2",
    "%",
    "%41",
    "100%",
    "%2F",
    "?",
    "a?b=c&d",
    "#hash",
    "ключ",
    "日本語",
    "emoji 😀",
    "ünïcödé/ключ+%",
    "tab\tkey",
    "~-_.",
    "!*'()",
    "x".repeat(1000),
  ]) {
    keys.add(k);
  }
  // Drop space keys whose Go-mangled form (`+` for space) is itself in the set: Go→Go fetches of the first
  // would load the second at another node, and the load count per key would not be Go's ring's alone.
  for (const k of [...keys]) if (k.includes(" ") && keys.has(k.replaceAll(" ", "+"))) keys.delete(k);
  return [...keys];
}

describe("interop with golang/groupcache peers (2 Go + 2 cachecluster nodes)", { timeout: 60_000 }, () => {
  const goPeers: GoPeer[] = [];
  const clusters: CacheCluster[] = [];
  const nodeLoads = new Map<string, string[]>(); // node URL → keys its loader ran for
  let peers: string[] = [];
  let ring: HashRing;
  const keys = keySet();

  before(async () => {
    const [peerBinary, ringBinary] = await Promise.all([buildGoProgram("groupcache-peer"), buildGoProgram("ring-vectors")]);
    goPeers.push(await GoPeer.start(peerBinary, ["-group", GROUP]), await GoPeer.start(peerBinary, ["-group", GROUP]));
    const nodeUrls = await reserveNodeUrls(["127.0.0.51", "127.0.0.52"]);
    peers = [...goPeers.map((g) => g.url), ...nodeUrls].sort();
    ring = new HashRing(peers);
    await Promise.all(goPeers.map((g) => g.setPeers(peers)));
    const nodes = await startNodePeers(nodeUrls, peers, GROUP);
    clusters.push(...nodes.clusters);
    for (const [url, loads] of nodes.loads) nodeLoads.set(url, loads);
    // Cross-check core's ring against Go's consistenthash (ring-vectors) for this peer list and these keys.
    const child = execFileP(ringBinary, [], { maxBuffer: 16 * 1024 * 1024 });
    child.child.stdin?.end(JSON.stringify({ replicas: 50, cases: [{ peers, keys }] }));
    const goOwners = (JSON.parse((await child).stdout) as string[][])[0]!;
    assert.deepEqual(
      keys.map((k) => ring.get(k)),
      goOwners,
      "core's HashRing and Go's consistenthash agree on every owner",
    );
  });

  after(async () => {
    await Promise.all(clusters.map((c) => c.close({ leaveTimeoutMs: 10 })));
    await Promise.all(goPeers.map((g) => g.stop()));
  });

  const nodeOf = (url: string): { kind: "go"; go: GoPeer } | { kind: "node"; cluster: CacheCluster } => {
    const go = goPeers.find((g) => g.url === url);
    if (go !== undefined) return { kind: "go", go };
    const cluster = clusters.find((c) => c.local.cacheUrl === url);
    if (cluster === undefined) throw new Error(`no node ${url}`);
    return { kind: "node", cluster };
  };

  const getVia = async (url: string, key: string): Promise<string> => {
    const node = nodeOf(url);
    if (node.kind === "go") return node.go.get(key);
    return node.cluster.getGroup(GROUP)!.getString(key);
  };

  /** What `key` reads as through `via`: exact, except Go→Go with a space (Go's own `+` mangling). */
  const expectedVia = (via: string, key: string): string => {
    const owner = ring.get(key)!;
    const goToGo = via !== owner && nodeOf(via).kind === "go" && nodeOf(owner).kind === "go";
    return goToGo ? `value-of:${key.replaceAll(" ", "+")}` : `value-of:${key}`;
  };

  it("every node sees the same sorted peer list and ring", () => {
    for (const cluster of clusters) assert.deepEqual(cluster.ring.peers, peers);
    const owners = new Set(keys.map((k) => ring.get(k)));
    assert.equal(owners.size, 4, "the keys spread over all four nodes");
  });

  it("every key reads the same value through every node, and loads exactly once cluster-wide, at the owner Go's ring names", async () => {
    const queue = [...keys];
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
          const k = key;
          const got = await Promise.all(peers.map((via) => getVia(via, k)));
          got.forEach((value, i) => {
            const via = peers[i]!;
            if (value !== expectedVia(via, k)) failures.push(`${JSON.stringify(k)} via ${via}: got ${JSON.stringify(value.slice(0, 80))}`);
          });
        }
      }),
    );
    assert.deepEqual(failures, []);

    // Loads: from the Go processes (GET /loads, cross-checked with their stdout events) and the Node loaders.
    const loadsAt = new Map<string, string[]>();
    for (const go of goPeers) {
      const listed = await go.loads();
      assert.deepEqual([...listed].sort(), [...go.loadEvents].sort(), "Go /loads matches its stdout load events");
      loadsAt.set(go.url, listed);
    }
    for (const [url, loads] of nodeLoads) loadsAt.set(url, loads);
    const keySetLookup = new Set(keys);
    for (const key of keys) {
      const loaders = [...loadsAt].flatMap(([url, loads]) => loads.filter((l) => l === key).map(() => url));
      assert.deepEqual(loaders, [ring.get(key)], `key ${JSON.stringify(key)} loaded once, by its owner`);
    }
    // Any other load is Go→Go `+` mangling of a space key: the Go owner is asked for `a+b`, and `a+b` is
    // then loaded once by ITS owner on the ring (the Go owner gets it like any other key).
    const expectedExtra = keys
      .filter((k) => k.includes(" ") && nodeOf(ring.get(k)!).kind === "go")
      .map((k) => k.replaceAll(" ", "+"))
      .map((mangled) => `${ring.get(mangled)!} ${mangled}`)
      .sort();
    const extra = [...loadsAt].flatMap(([url, loads]) => loads.filter((l) => !keySetLookup.has(l)).map((l) => `${url} ${l}`)).sort();
    assert.deepEqual(extra, expectedExtra);

    // Both directions really went over the wire, and no Node fetch fell back to a local load.
    let nodeToGo = 0;
    let goToNode = 0;
    for (const key of keys) {
      const owner = nodeOf(ring.get(key)!);
      if (owner.kind === "go") nodeToGo += 2;
      else goToNode += 2;
    }
    assert.ok(nodeToGo > 50 && goToNode > 50, `both directions exercised (${nodeToGo} Node→Go, ${goToNode} Go→Node)`);
    for (const cluster of clusters) {
      const stats = cluster.getGroup(GROUP)!.stats;
      assert.equal(stats.peerErrors, 0, "no peer fetch failed");
      assert.ok(stats.peerLoads > 0, "values came from peers");
    }
    for (const cluster of clusters) {
      const transport = cluster.transport as HttpTransport;
      assert.equal(transport.serverStats.badRequests + transport.serverStats.errors + transport.serverStats.notFound, 0);
      assert.equal(transport.serverStats.notMember, 0, "no request from a member was refused");
      assert.ok(transport.serverStats.gets > 50, "Go peers fetched from this node");
    }
  });

  it("a Go peer reads a value with an expiry (GetResponse field 3) from a cachecluster owner", async () => {
    const nodeUrls = peers.filter((p) => nodeOf(p).kind === "node");
    const key = Array.from({ length: 1000 }, (_, i) => `ttl-${i}`).find((k) => ring.get(k) === nodeUrls[0])!;
    const owner = nodeOf(nodeUrls[0]!);
    assert.equal(owner.kind, "node");
    if (owner.kind !== "node") return;
    const group = owner.cluster.getGroup(GROUP)!;
    // The owner stores it; its hot-cache broadcast to the Go peers fails (they do not know DELETE), which set logs.
    await group.set(key, "ttl-value", { ttl: 60_000 });
    const raw = await fetch(`${nodeUrls[0]}/_groupcache/${GROUP}/${encodeURIComponent(key)}`);
    const decoded = decodeGetResponse(new Uint8Array(await raw.arrayBuffer()));
    assert.ok(decoded.expire !== undefined && decoded.expire > Date.now(), "the owner sends expire");
    for (const go of goPeers) assert.equal(await go.get(key), "ttl-value");
  });

  it("a fetch carrying W3C trace context headers (traceparent, tracestate) is answered by a Go owner as any other", async () => {
    const goOwned = keys.find((k) => nodeOf(ring.get(k)!).kind === "go")!;
    const transport = new HttpTransport();
    try {
      const traceContext = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "vendor=opaque" };
      const got = await transport.client.fetch(ring.get(goOwned)!, GROUP, goOwned, { traceContext });
      assert.equal(new TextDecoder().decode(got.value), expectedVia(ring.get(goOwned)!, goOwned));
    } finally {
      await transport.stop();
    }
  });

  it("remove and set aimed at a Go owner reject with a clear PeerError, and the Go peers keep serving", async () => {
    const goUrl = goPeers[0]!.url;
    const key = keys.find((k) => ring.get(k) === goUrl && !k.includes(" "))!;
    const group = clusters[0]!.getGroup(GROUP)!;
    for (const call of [() => group.remove(key), () => group.set(key, "new")]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof PeerError, `got ${String(error)}`);
      assert.equal(error.code, "CACHECLUSTER_PEER_RESPONSE_INVALID");
      assert.match(error.message, /does not support (remove|set)/);
    }
    // Raw DELETE / PUT with a garbage body: golang/groupcache answers them as GETs and keeps running.
    for (const method of ["DELETE", "PUT"]) {
      const res = await fetch(`${goUrl}/_groupcache/${GROUP}/${encodeURIComponent(key)}`, {
        method,
        ...(method === "PUT" ? { body: new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]) } : {}),
      });
      assert.equal(res.status, 200);
      assert.equal(decodeGetResponse(new Uint8Array(await res.arrayBuffer())).value.length > 0, true);
    }
    const client = new HttpTransport();
    try {
      assert.equal(new TextDecoder().decode((await client.client.fetch(goUrl, GROUP, key)).value), `value-of:${key}`);
    } finally {
      await client.stop();
    }
    for (const go of goPeers) {
      assert.ok(go.alive, `Go peer ${go.url} still running: ${go.stderr}`);
      for (const k of keys.slice(0, 20)) assert.equal(await go.get(k), expectedVia(go.url, k));
    }
  });

  it("a client that is no member (another address) is refused by the Node nodes: 403, and no load runs", async () => {
    for (const cluster of clusters) {
      const before = nodeLoads.get(cluster.local.cacheUrl)!.length;
      const outsider = new HttpTransport({ localAddress: "127.0.0.53" });
      try {
        const error = await outsider.client.fetch(cluster.local.cacheUrl, GROUP, "chosen-by-the-attacker").then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(error instanceof PeerError && error.status === 403, `got ${String(error)}`);
      } finally {
        await outsider.stop();
      }
      assert.equal(nodeLoads.get(cluster.local.cacheUrl)!.length, before);
    }
  });
});
