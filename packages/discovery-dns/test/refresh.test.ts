import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { DiscoveredPeer } from "@cachecluster/core";
import { setup, until, waitForPeers } from "./helpers.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** The delay the discovery chose after its first good lookup of records with these TTLs. */
async function firstDelay(ttls: number[], options: { refreshMs: number; minRefreshMs: number; jitter?: number }, random = 0.5): Promise<number> {
  const t = await setup(options, { random: () => random });
  close = t.close;
  t.dns.set("peers.cluster.test", { A: ttls.map((ttl, i) => ({ address: `10.0.0.${i + 1}`, ttl })) });
  await t.discovery.start();
  await waitForPeers(t.discovery, (p) => p.length === ttls.length, 5_000);
  return t.discovery.stats().nextRefreshMs;
}

describe("TTL-aware refresh", () => {
  it("the next lookup comes when the shortest TTL runs out, if that is sooner than refreshMs", async () => {
    assert.equal(await firstDelay([40, 2, 9], { refreshMs: 30_000, minRefreshMs: 100 }), 2_000);
  });

  it("a TTL longer than refreshMs waits refreshMs", async () => {
    assert.equal(await firstDelay([600], { refreshMs: 30_000, minRefreshMs: 100 }), 30_000);
  });

  it("a TTL of 0 (Consul's default) waits minRefreshMs", async () => {
    assert.equal(await firstDelay([0], { refreshMs: 30_000, minRefreshMs: 5_000 }), 5_000);
  });

  it("each delay is spread by jitter: random 0 gives (1 - jitter) times, random near 1 (1 + jitter) times", async () => {
    assert.equal(await firstDelay([600], { refreshMs: 10_000, minRefreshMs: 100, jitter: 0.2 }, 0), 8_000);
    await close?.();
    assert.equal(await firstDelay([600], { refreshMs: 10_000, minRefreshMs: 100, jitter: 0.2 }, 0.999_999), 12_000);
  });

  it("records are looked up again when their TTL runs out", async () => {
    const t = await setup({ refreshMs: 60_000, minRefreshMs: 100 });
    close = t.close;
    t.dns.set("peers.cluster.test", { A: [{ address: "10.0.0.1", ttl: 0 }] });
    await t.discovery.start();
    await until(() => t.dns.count("peers.cluster.test") >= 4, "four questions, 100 ms apart", 3_000);
  });
});

describe("announcements", () => {
  it("an unchanged list is announced again at most once per refreshMs; a change at once", async () => {
    const t = await setup({ refreshMs: 2_000, minRefreshMs: 100 });
    close = t.close;
    t.dns.set("peers.cluster.test", { A: [{ address: "10.0.0.1", ttl: 0 }] });
    const announced: (readonly DiscoveredPeer[])[] = [];
    t.discovery.onPeers((peers) => announced.push(peers));
    await t.discovery.start();
    await until(() => t.discovery.stats().refreshesTotal >= 5, "five lookups", 3_000);
    assert.equal(announced.length, 1, "the unchanged list was announced again before refreshMs");
    t.dns.set("peers.cluster.test", {
      A: [
        { address: "10.0.0.1", ttl: 0 },
        { address: "10.0.0.2", ttl: 0 },
      ],
    });
    await until(() => announced.length === 2, "the changed list", 1_000);
    assert.deepEqual(announced[1], [{ host: "10.0.0.1" }, { host: "10.0.0.2" }]);
  });

  it("an unchanged list is announced again after refreshMs, so a membership re-contacts its seeds", async () => {
    const t = await setup({ refreshMs: 300, minRefreshMs: 100 });
    close = t.close;
    t.dns.set("peers.cluster.test", { A: [{ address: "10.0.0.1", ttl: 0 }] });
    let calls = 0;
    t.discovery.onPeers(() => (calls += 1));
    await t.discovery.start();
    await until(() => calls >= 3, "three announcements", 3_000);
    assert.ok(t.discovery.stats().refreshesTotal >= 5, `only ${t.discovery.stats().refreshesTotal} lookups for 3 announcements`);
  });

  it("refresh() looks up now", async () => {
    const t = await setup({ refreshMs: 60_000, minRefreshMs: 60_000 });
    close = t.close;
    t.dns.set("peers.cluster.test", { A: [{ address: "10.0.0.1", ttl: 600 }] });
    await t.discovery.start();
    await waitForPeers(t.discovery, (p) => p.length === 1, 5_000);
    t.dns.set("peers.cluster.test", { A: [{ address: "10.0.0.9", ttl: 600 }] });
    await t.discovery.refresh();
    assert.deepEqual(t.discovery.peers(), [{ host: "10.0.0.9" }]);
  });

  it("refresh() before start() throws a CACHECLUSTER_NOT_STARTED error", async () => {
    const t = await setup();
    close = t.close;
    await assert.rejects(t.discovery.refresh(), { code: "CACHECLUSTER_NOT_STARTED" });
  });

  it("a listener that throws is logged and the others still get the list", async () => {
    const t = await setup();
    close = t.close;
    t.dns.set("peers.cluster.test", { A: [{ address: "10.0.0.1" }] });
    t.discovery.onPeers(() => {
      throw new Error("boom");
    });
    const got = new Promise<readonly DiscoveredPeer[]>((resolve) => t.discovery.onPeers(resolve));
    await t.discovery.start();
    assert.deepEqual(await got, [{ host: "10.0.0.1" }]);
    assert.ok(t.logger.at("warn").some((e) => e.msg.endsWith("a peers listener threw")));
  });
});
