import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import { after, before, describe, it } from "node:test";
import { DnsDiscoveryError } from "../src/index.js";
import { type LookupTarget, lookupPeers } from "../src/lookup.js";
import { FakeDnsServer } from "./dns-server.js";

let dns: FakeDnsServer;
let resolver: Resolver;
before(async () => {
  dns = await FakeDnsServer.start("cluster.test");
  resolver = new Resolver({ timeout: 250, tries: 2 });
  resolver.setServers([dns.address]);
});
after(() => dns.close());

const context = { servers: "the test server", timeoutMs: 1_000 };
const lookup = (target: Partial<LookupTarget> & { name: string }) =>
  lookupPeers(resolver, { type: "A", port: undefined, portKind: "cluster", ...target }, context);

describe("A and AAAA records", () => {
  it("every address is a peer, sorted by address, without duplicates, with the shortest TTL", async () => {
    dns.set("a.cluster.test", {
      A: [
        { address: "10.0.0.10", ttl: 30 },
        { address: "10.0.0.9", ttl: 12 },
        { address: "10.0.0.10", ttl: 30 },
        { address: "10.0.1.2", ttl: 60 },
      ],
    });
    const result = await lookup({ name: "a.cluster.test" });
    assert.deepEqual(result.peers, [{ host: "10.0.0.9" }, { host: "10.0.0.10" }, { host: "10.0.1.2" }]);
    assert.equal(result.ttl, 12);
  });

  it("AAAA records give IPv6 peers", async () => {
    dns.set("six.cluster.test", {
      AAAA: [
        { address: "fd00::2", ttl: 5 },
        { address: "fd00::1", ttl: 7 },
      ],
    });
    const result = await lookup({ name: "six.cluster.test", type: "AAAA" });
    assert.deepEqual(result.peers, [{ host: "fd00::1" }, { host: "fd00::2" }]);
    assert.equal(result.ttl, 5);
  });

  it("the port option is each peer's membership port, or with portKind cache its cache URL", async () => {
    dns.set("ports.cluster.test", { A: [{ address: "10.0.0.1" }], AAAA: [{ address: "fd00::1" }] });
    assert.deepEqual((await lookup({ name: "ports.cluster.test", port: 7946 })).peers, [{ host: "10.0.0.1", clusterPort: 7946 }]);
    assert.deepEqual((await lookup({ name: "ports.cluster.test", port: 9080, portKind: "cache" })).peers, [
      { host: "10.0.0.1", cacheUrl: "http://10.0.0.1:9080" },
    ]);
    assert.deepEqual((await lookup({ name: "ports.cluster.test", type: "AAAA", port: 9080, portKind: "cache" })).peers, [
      { host: "fd00::1", cacheUrl: "http://[fd00::1]:9080" },
    ]);
  });

  it("unspecified, broadcast and multicast addresses are skipped with a reason, the others kept", async () => {
    dns.set("odd.cluster.test", {
      A: [{ address: "0.0.0.0" }, { address: "255.255.255.255" }, { address: "224.0.0.251" }, { address: "10.0.0.1" }],
    });
    const result = await lookup({ name: "odd.cluster.test" });
    assert.deepEqual(result.peers, [{ host: "10.0.0.1" }]);
    assert.deepEqual(result.skipped, [
      "A odd.cluster.test: 0.0.0.0 is the unspecified address",
      "A odd.cluster.test: 255.255.255.255 is the broadcast address",
      "A odd.cluster.test: 224.0.0.251 is a multicast address",
    ]);
  });

  it("an answer with only unusable addresses is a no-records failure naming them", async () => {
    dns.set("useless.cluster.test", { A: [{ address: "0.0.0.0" }] });
    await assert.rejects(lookup({ name: "useless.cluster.test" }), (error: unknown) => {
      assert.ok(error instanceof DnsDiscoveryError);
      assert.equal(error.kind, "no-records");
      assert.equal(error.message, "DNS lookup A useless.cluster.test gave no usable peer: A useless.cluster.test: 0.0.0.0 is the unspecified address");
      return true;
    });
  });

  it("200 records, too many for a UDP answer, arrive over TCP", async () => {
    dns.set("big.cluster.test", { A: Array.from({ length: 200 }, (_, i) => ({ address: `10.1.${i >> 8}.${i & 255}` })) });
    const result = await lookup({ name: "big.cluster.test" });
    assert.equal(result.peers.length, 200);
    assert.ok(
      dns.questions.some((q) => q.name === "big.cluster.test" && q.transport === "tcp"),
      "no question over TCP",
    );
  });
});

describe("SRV records", () => {
  it("every target is a peer: ordered by priority, then weight (highest first), then name; the port is the membership port", async () => {
    dns.set("_gossip._udp.order.cluster.test", {
      SRV: [
        { target: "d.cluster.test", port: 4, priority: 20, weight: 100 },
        { target: "c.cluster.test", port: 3, priority: 10, weight: 0 },
        { target: "b.cluster.test", port: 2, priority: 10, weight: 50 },
        { target: "a.cluster.test", port: 1, priority: 10, weight: 0 },
      ],
    });
    for (const [i, name] of ["a", "b", "c", "d"].entries()) dns.set(`${name}.cluster.test`, { A: [{ address: `10.0.0.${i + 1}`, ttl: 40 - i }] });
    const result = await lookup({ name: "_gossip._udp.order.cluster.test", type: "SRV" });
    assert.deepEqual(result.peers, [
      { host: "10.0.0.2", clusterPort: 2, name: "b.cluster.test" },
      { host: "10.0.0.1", clusterPort: 1, name: "a.cluster.test" },
      { host: "10.0.0.3", clusterPort: 3, name: "c.cluster.test" },
      { host: "10.0.0.4", clusterPort: 4, name: "d.cluster.test" },
    ]);
    assert.equal(result.ttl, 37, "the shortest TTL of the targets' addresses");
  });

  it("with portKind cache, the SRV port is the peer's cache port", async () => {
    dns.set("_http._tcp.web.cluster.test", { SRV: [{ target: "w1.cluster.test", port: 9080 }] });
    dns.set("w1.cluster.test", { A: [{ address: "10.0.0.7" }] });
    const result = await lookup({ name: "_http._tcp.web.cluster.test", type: "SRV", portKind: "cache" });
    assert.deepEqual(result.peers, [{ host: "10.0.0.7", cacheUrl: "http://10.0.0.7:9080", name: "w1.cluster.test" }]);
  });

  it("a target without an A record is looked up as AAAA; one with neither is skipped with a reason", async () => {
    dns.set("_g._udp.mixed.cluster.test", {
      SRV: [
        { target: "v4.cluster.test", port: 1 },
        { target: "v6.cluster.test", port: 2 },
        { target: "gone.cluster.test", port: 3 },
        { target: "empty.cluster.test", port: 4 },
      ],
    });
    dns.set("v4.cluster.test", { A: [{ address: "10.0.0.4" }] });
    dns.set("v6.cluster.test", { AAAA: [{ address: "fd00::6" }] });
    dns.set("empty.cluster.test", {});
    const result = await lookup({ name: "_g._udp.mixed.cluster.test", type: "SRV" });
    assert.deepEqual(result.peers, [
      { host: "10.0.0.4", clusterPort: 1, name: "v4.cluster.test" },
      { host: "fd00::6", clusterPort: 2, name: "v6.cluster.test" },
    ]);
    assert.deepEqual([...result.skipped].sort(), [
      "SRV _g._udp.mixed.cluster.test: target empty.cluster.test has no A or AAAA record",
      "SRV _g._udp.mixed.cluster.test: target gone.cluster.test has no A or AAAA record",
    ]);
  });

  it("records with port 0 are skipped with a reason", async () => {
    dns.set("_g._udp.zero.cluster.test", {
      SRV: [
        { target: "v4.cluster.test", port: 0 },
        { target: "v4.cluster.test", port: 5 },
      ],
    });
    const result = await lookup({ name: "_g._udp.zero.cluster.test", type: "SRV" });
    assert.deepEqual(result.peers, [{ host: "10.0.0.4", clusterPort: 5, name: "v4.cluster.test" }]);
    assert.deepEqual(result.skipped, ["SRV _g._udp.zero.cluster.test: target v4.cluster.test with port 0"]);
  });

  it('a single record with target "." (service decidedly not available, RFC 2782) is a no-records failure', async () => {
    dns.set("_g._udp.none.cluster.test", { SRV: [{ target: ".", port: 0 }] });
    await assert.rejects(lookup({ name: "_g._udp.none.cluster.test", type: "SRV" }), (error: unknown) => {
      assert.ok(error instanceof DnsDiscoveryError);
      assert.equal(error.kind, "no-records");
      assert.match(error.message, /decidedly not available/);
      return true;
    });
  });

  it("a target whose lookup fails (SERVFAIL) fails the whole lookup, not only that target", async () => {
    dns.set("_g._udp.flaky.cluster.test", {
      SRV: [
        { target: "v4.cluster.test", port: 1 },
        { target: "flaky.cluster.test", port: 2 },
      ],
    });
    dns.fault("flaky.cluster.test", "servfail");
    await assert.rejects(lookup({ name: "_g._udp.flaky.cluster.test", type: "SRV" }), (error: unknown) => {
      assert.ok(error instanceof DnsDiscoveryError);
      assert.equal(error.kind, "server");
      assert.match(error.message, /^DNS lookup A flaky\.cluster\.test failed: the server failed to answer \(SERVFAIL\), ESERVFAIL$/);
      return true;
    });
  });

  it("a target of several addresses gives one peer per address (sorted), all with the target's name", async () => {
    dns.set("_g._udp.multi.cluster.test", { SRV: [{ target: "multi.cluster.test", port: 7 }] });
    dns.set("multi.cluster.test", { A: [{ address: "10.0.0.21" }, { address: "10.0.0.20" }] });
    const result = await lookup({ name: "_g._udp.multi.cluster.test", type: "SRV" });
    assert.deepEqual(result.peers, [
      { host: "10.0.0.20", clusterPort: 7, name: "multi.cluster.test" },
      { host: "10.0.0.21", clusterPort: 7, name: "multi.cluster.test" },
    ]);
  });

  it("a target given as an IP address is used as it is", async () => {
    dns.set("_g._udp.literal.cluster.test", { SRV: [{ target: "10.0.0.30", port: 7 }] });
    const result = await lookup({ name: "_g._udp.literal.cluster.test", type: "SRV" });
    assert.deepEqual(result.peers, [{ host: "10.0.0.30", clusterPort: 7, name: "10.0.0.30" }]);
    assert.equal(result.ttl, undefined);
  });
});
