import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { type CacheCluster, type Logger, createCacheCluster, silentLogger, staticDiscovery } from "@cachecluster/core";
import { RecordingPeerHandler } from "@cachecluster/testing/compliance/transport";
import { HttpTransport, httpTransport } from "../src/index.js";
import { encodeSetRequest } from "../src/wire/messages.js";
import { reservePort } from "./helpers/go-peer.js";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A request sent from `from` (a loopback address of this host); resolves with status and body. */
function sendFrom(from: string, port: number, method: string, path: string, body?: Uint8Array, host = "127.0.0.1"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path, method, localAddress: from, agent: false }, (res) => {
      let out = "";
      res.on("data", (c: Buffer) => (out += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: out }));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (obj: object | string, msg?: string) => void warnings.push(msg ?? (typeof obj === "string" ? obj : "")) };
}

describe("writes without secret keys: only from the addresses of current members", () => {
  const handler = new RecordingPeerHandler();
  const logger = recordingLogger();
  const transport = new HttpTransport({}, { logger });
  let port = 0;
  before(async () => {
    handler.memberAddresses = new Set(["127.0.0.2"]);
    ({ port } = await transport.listen(handler, { host: "127.0.0.1", port: 0 }));
  });
  after(() => transport.stop());

  it("a PUT or DELETE from an address that is no member's is 403, changes nothing, and is counted", async () => {
    await handler.set("g", "k", { value: new TextEncoder().encode("kept") });
    const put = await sendFrom("127.0.0.3", port, "PUT", "/_groupcache/g/k", encodeSetRequest("g", "k", new TextEncoder().encode("evil")));
    assert.equal(put.status, 403);
    assert.match(put.body, /^forbidden: PUT is accepted from cluster members only, and 127\.0\.0\.3 is none/);
    const del = await sendFrom("127.0.0.3", port, "DELETE", "/_groupcache/g/k");
    assert.equal(del.status, 403);
    assert.equal(text((await handler.get("g", "k")).value), "kept");
    assert.equal(transport.serverStats.notMember, 2);
    assert.equal(handler.sets.length, 1, "only the test's own set");
  });

  it("a PUT or DELETE from a member's address is applied", async () => {
    const put = await sendFrom("127.0.0.2", port, "PUT", "/_groupcache/g/k", encodeSetRequest("g", "k", new TextEncoder().encode("new")));
    assert.equal(put.status, 200);
    assert.equal(text((await handler.get("g", "k")).value), "new");
    assert.equal((await sendFrom("127.0.0.2", port, "DELETE", "/_groupcache/g/k")).status, 200);
    assert.equal(text((await handler.get("g", "k")).value), "value-of:k");
  });

  it("start-up logs one warning that the peer plane is unauthenticated, and how to fix it", () => {
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0] ?? "", /peer plane is unauthenticated.*Set \[cache\] secret_keys \(openssl rand -base64 32\) on every node/);
  });

  it("with secret keys there is no such warning", async () => {
    const quiet = recordingLogger();
    const signed = new HttpTransport({ secretKeys: [Buffer.alloc(32, 1).toString("base64")] }, { logger: quiet });
    await signed.listen(new RecordingPeerHandler(), { host: "127.0.0.1", port: 0 });
    await signed.stop();
    assert.deepEqual(quiet.warnings, []);
  });
});

describe('reads: served to the addresses of current members only, unless reads is "any"', () => {
  it("a GET from an address that is no member's is 403 and runs no loader; a member's is served", async () => {
    const handler = new RecordingPeerHandler();
    handler.memberAddresses = new Set(["127.0.0.2"]);
    const transport = new HttpTransport();
    const { port } = await transport.listen(handler, { host: "127.0.0.1", port: 0 });
    try {
      const outsider = await sendFrom("127.0.0.3", port, "GET", "/_groupcache/g/any-key-i-like");
      assert.equal(outsider.status, 403);
      assert.match(outsider.body, /^forbidden: peer reads are served to cluster members only, and 127\.0\.0\.3 is none/);
      assert.deepEqual(handler.gets, [], "no loader ran");
      assert.equal(transport.serverStats.notMember, 1);
      assert.equal((await sendFrom("127.0.0.2", port, "GET", "/_groupcache/g/k")).status, 200);
      assert.deepEqual(handler.gets, [{ group: "g", key: "k" }]);
    } finally {
      await transport.stop();
    }
  });

  it('with reads "any", every address is served (writes still need a member\'s address)', async () => {
    const handler = new RecordingPeerHandler();
    handler.memberAddresses = new Set(["127.0.0.2"]);
    const transport = new HttpTransport({ reads: "any" });
    const { port } = await transport.listen(handler, { host: "127.0.0.1", port: 0 });
    try {
      assert.equal((await sendFrom("127.0.0.3", port, "GET", "/_groupcache/g/k")).status, 200);
      assert.equal((await sendFrom("127.0.0.3", port, "DELETE", "/_groupcache/g/k")).status, 403);
    } finally {
      await transport.stop();
    }
  });
});

describe("the client sends from the address its server listens on, which members know it by", () => {
  it("a request to a peer comes from the listening IP, and from the system's choice when the server listens on a wildcard", async () => {
    const peer = new RecordingPeerHandler();
    const server = new HttpTransport();
    const { url } = await server.listen(peer, { host: "127.0.0.1", port: 0 });
    const specific = new HttpTransport();
    const wildcard = new HttpTransport();
    const fixed = new HttpTransport({ localAddress: "127.0.0.9" });
    try {
      await specific.listen(new RecordingPeerHandler(), { host: "127.0.0.22", port: 0 });
      await wildcard.listen(new RecordingPeerHandler(), { host: "0.0.0.0", port: 0 });
      await fixed.listen(new RecordingPeerHandler(), { host: "127.0.0.23", port: 0 });
      const sources: string[] = [];
      for (const client of [specific, wildcard, fixed]) {
        await client.client.set(url, "g", "from", { value: new Uint8Array([1]) });
        sources.push(peer.memberChecks.at(-1) ?? "");
      }
      assert.deepEqual(sources, ["127.0.0.22", "127.0.0.1", "127.0.0.9"]);
    } finally {
      await Promise.all([server.stop(), specific.stop(), wildcard.stop(), fixed.stop()]);
    }
  });
});

describe("a cluster's members write to each other, outsiders cannot (no secret keys)", () => {
  const clusters: CacheCluster[] = [];
  const hosts = ["127.0.0.31", "127.0.0.32"];
  before(async () => {
    const ports = await Promise.all(hosts.map((host) => reservePort(host)));
    const urls = hosts.map((h, i) => `http://${h}:${ports[i]}`);
    for (const [i, host] of hosts.entries()) {
      const cluster = await createCacheCluster(
        { cache: { host, port: ports[i], self: urls[i] }, admin: { port: 0 }, cluster: { advertise: host, name: `w${i}` } },
        [httpTransport(), staticDiscovery(urls)],
      );
      cluster.group("g", { load: (key) => `loaded:${key}` });
      await cluster.listen();
      clusters.push(cluster);
    }
  });
  after(() => Promise.all(clusters.map((c) => c.close({ leaveTimeoutMs: 10 }))));

  it("set and remove of a key the other member owns reach it; the same PUT from a third address is 403", async () => {
    const [a, b] = clusters as [CacheCluster, CacheCluster];
    const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => a.ring.get(k) === b.local.cacheUrl) as string;
    await a.getGroup("g")!.set(key, "from a");
    assert.equal(await b.getGroup("g")!.getString(key), "from a");
    const port = Number(new URL(b.local.cacheUrl).port);
    const outsider = await sendFrom(
      "127.0.0.33",
      port,
      "PUT",
      `/_groupcache/g/${key}`,
      encodeSetRequest("g", key, new TextEncoder().encode("evil")),
      "127.0.0.32",
    );
    assert.equal(outsider.status, 403);
    assert.equal(await b.getGroup("g")!.getString(key), "from a");
    await a.getGroup("g")!.remove(key);
    assert.equal(await b.getGroup("g")!.getString(key), `loaded:${key}`);
  });

  it("an IPv4 member reaching a dual-stack listener (::) is known by its IPv4-mapped address", async () => {
    const handler = clusters[1]!.peerHandler;
    assert.ok(handler.isMemberAddress("::ffff:127.0.0.31"));
    assert.ok(!handler.isMemberAddress("::ffff:127.0.0.33"));
  });
});
