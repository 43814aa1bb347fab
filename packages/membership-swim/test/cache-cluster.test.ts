import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCacheCluster, staticDiscovery, type CacheCluster } from "@cachecluster/core";
import { SwimMembership, swimMembership } from "../src/index.js";
import { pollUntil } from "./helpers/real.js";

const config = (name: string, cachePort: number) => ({
  cache: { port: cachePort, self: `http://127.0.0.1:${cachePort}` },
  admin: { port: 0 },
  cluster: { port: 0, host: "127.0.0.1", advertise: "127.0.0.1", heartbeat: 200, name },
});

describe("swimMembership() in a cache cluster", () => {
  it("binds core's MembershipToken from [cluster] config, and two clusters find each other through discovery", async () => {
    const clusters: CacheCluster[] = [];
    try {
      const a = await createCacheCluster(config("node-a", 19081), [swimMembership({ probeTimeoutMs: 100 })]);
      clusters.push(a);
      assert.ok(a.membership instanceof SwimMembership);
      await a.listen();
      const port = a.membership.port;
      assert.ok(port > 0);
      assert.equal(a.membership.options.probeTimeoutMs, 100);
      const b = await createCacheCluster(config("node-b", 19082), [swimMembership({ probeTimeoutMs: 100 }), staticDiscovery([`127.0.0.1:${port}`])]);
      clusters.push(b);
      await b.listen();
      assert.ok(await pollUntil(() => a.members().length === 2 && b.members().length === 2, 10_000));
      assert.deepEqual(a.ring.peers, ["http://127.0.0.1:19081", "http://127.0.0.1:19082"]);
      assert.ok(a.events().some((e) => e.type === "join" && e.member.id === "node-b" && e.member.cacheUrl === "http://127.0.0.1:19082"));
      await b.close();
      assert.ok(await pollUntil(() => a.members().length === 1, 10_000), "b's leave reaches a");
      assert.ok(a.events().some((e) => e.type === "leave" && e.member.id === "node-b"));
    } finally {
      for (const c of clusters) await c.close();
    }
  });

  it("rejects bad options eagerly, naming the option", () => {
    assert.throws(() => swimMembership({ probeTimeoutMs: -1 }), /probeTimeoutMs/);
    assert.throws(
      () => new SwimMembership({ secretKeys: ["c2hvcnQ="] }, { local: { name: "x", host: "127.0.0.1", cacheUrl: "http://x" } }),
      /expected secret key #1 to be base64 of 16, 24 or 32 bytes, got 5 bytes/,
    );
    assert.throws(
      () => new SwimMembership({ advertise: "not-an-ip" }, { local: { name: "x", host: "127.0.0.1", cacheUrl: "http://x" } }),
      /expected advertise to be an IP address or IP:port/,
    );
    assert.throws(() => new SwimMembership({ port: 70000 }, { local: { name: "x", host: "127.0.0.1", cacheUrl: "http://x" } }), /port/);
  });
});
