import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { setup, until, waitForPeers } from "./helpers.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const GOOD = { A: [{ address: "10.0.0.1", ttl: 0 }] };

describe("Diagnosable: why DNS keeps this node alone", () => {
  it("diagnose() is undefined before start() and says the first lookup is under way until it finishes", async () => {
    const t = await setup({ timeoutMs: 2_000 });
    close = t.close;
    t.dns.fault("peers.cluster.test", "silent");
    assert.equal(t.discovery.diagnose(), undefined);
    await t.discovery.start();
    assert.equal(t.discovery.diagnose(), `the first lookup of A peers.cluster.test at ${t.dns.address} has not finished yet`);
  });

  it("while lookups fail, diagnose() names the lookup, the attempts and the failure; after recovery it is undefined and lastError() keeps the failure", async () => {
    const t = await setup();
    close = t.close;
    t.dns.set("peers.cluster.test", GOOD);
    await t.discovery.start();
    await waitForPeers(t.discovery, (p) => p.length === 1, 5_000);
    assert.equal(t.discovery.diagnose(), undefined);
    assert.equal(t.discovery.lastError(), undefined);

    t.dns.fault("peers.cluster.test", "nxdomain");
    await until(() => t.discovery.stats().consecutiveFailures >= 2, "two failed lookups");
    const failing = t.discovery.diagnose() ?? "";
    assert.match(
      failing,
      /^lookup of A peers\.cluster\.test at 127\.0\.0\.1:\d+ failing \(\d+ attempt\(s\)\): DNS lookup A peers\.cluster\.test failed: the name does not exist \(NXDOMAIN\), ENOTFOUND; keeping the last 1 peer\(s\)$/,
    );

    const failedAt = Date.now();
    t.dns.fault("peers.cluster.test", undefined);
    await until(() => t.discovery.stats().consecutiveFailures === 0, "the recovery");
    assert.equal(t.discovery.diagnose(), undefined);
    assert.equal(t.discovery.currentError, undefined);
    const last = t.discovery.lastError();
    assert.equal(last?.error.kind, "not-found");
    assert.equal(last?.message, last?.error.message);
    assert.ok(last !== undefined && Math.abs(last.at - failedAt) < 5_000, `lastError().at ${last?.at} is the time of the failure (~${failedAt})`);
  });
});

describe("describeStats()", () => {
  it("describes every key of stats(), counters named without _total and the delay in milliseconds", async () => {
    const t = await setup();
    close = t.close;
    const descriptions = t.discovery.describeStats();
    assert.deepEqual(Object.keys(descriptions).sort(), Object.keys(t.discovery.stats()).sort());
    for (const [key, d] of Object.entries(descriptions)) {
      assert.equal(d.type === "counter", key.endsWith("Total"), `${key} is a counter exactly when it ends in Total`);
      assert.ok(d.help.endsWith("."), `${key} has a help sentence`);
      assert.ok(d.name === undefined || !d.name.endsWith("_total"), `${key}'s name leaves _total to the exporter`);
    }
    assert.equal(descriptions.nextRefreshMs?.unit, "milliseconds");
  });
});
