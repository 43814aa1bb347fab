import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { DiscoveredPeer } from "@cachecluster/core";
import { type DnsFailureKind } from "../src/index.js";
import type { Fault } from "./dns-server.js";
import { setup, sleep, until, waitForPeers } from "./helpers.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const GOOD = {
  A: [
    { address: "10.0.0.1", ttl: 0 },
    { address: "10.0.0.2", ttl: 0 },
  ],
};
const GOOD_PEERS = [{ host: "10.0.0.1" }, { host: "10.0.0.2" }];

const cases: { fault: Fault | "nodata"; kind: DnsFailureKind; message: RegExp }[] = [
  { fault: "nxdomain", kind: "not-found", message: /^DNS lookup A peers\.cluster\.test failed: the name does not exist \(NXDOMAIN\), ENOTFOUND$/ },
  { fault: "nodata", kind: "no-records", message: /^DNS lookup A peers\.cluster\.test failed: the name has no such records \(NODATA\), ENODATA$/ },
  { fault: "servfail", kind: "server", message: /^DNS lookup A peers\.cluster\.test failed: the server failed to answer \(SERVFAIL\), ESERVFAIL$/ },
  { fault: "refused", kind: "refused", message: /^DNS lookup A peers\.cluster\.test failed: the server refused to answer \(REFUSED: .*\), EREFUSED$/ },
  { fault: "silent", kind: "timeout", message: /^DNS lookup A peers\.cluster\.test failed: no answer from 127\.0\.0\.1:\d+ within 300 ms$/ },
  { fault: "wrong-id", kind: "timeout", message: /^DNS lookup A peers\.cluster\.test failed: no answer from 127\.0\.0\.1:\d+ within 300 ms$/ },
  { fault: "garbage", kind: "malformed", message: /^DNS lookup A peers\.cluster\.test failed: the answer is malformed, EBADRESP$/ },
  { fault: "bad-address-length", kind: "malformed", message: /^DNS lookup A peers\.cluster\.test failed: the answer is malformed, EBADRESP$/ },
  { fault: "truncated-record", kind: "malformed", message: /^DNS lookup A peers\.cluster\.test failed: the answer is malformed, EBADRESP$/ },
];

describe("a bad DNS answer keeps the last good list and is logged once", () => {
  for (const { fault, kind, message } of cases) {
    it(`${fault}: currentError is a DnsDiscoveryError of kind ${kind} with a clear message; peers and listeners untouched`, async () => {
      const t = await setup({ timeoutMs: 300, minRefreshMs: 100, backoffBaseMs: 10, backoffCapMs: 20 });
      close = t.close;
      t.dns.set("peers.cluster.test", GOOD);
      await t.discovery.start();
      await waitForPeers(t.discovery, (p) => p.length === 2, 5_000);
      const announced: (readonly DiscoveredPeer[])[] = [];
      t.discovery.onPeers((peers) => announced.push(peers));

      if (fault === "nodata") t.dns.set("peers.cluster.test", {});
      else t.dns.fault("peers.cluster.test", fault);
      await until(() => t.discovery.stats().failuresTotal >= 3, "three failed lookups", 10_000);

      const error = t.discovery.currentError;
      assert.equal(error?.code, "CACHECLUSTER_DISCOVERY_FAILED");
      assert.equal(error?.name, "DnsDiscoveryError");
      assert.equal(error?.kind, kind);
      assert.match(error?.message ?? "", message);
      assert.deepEqual(t.discovery.peers(), GOOD_PEERS);
      assert.deepEqual(announced, []);
      const warnings = t.logger.at("warn").filter((e) => e.msg.includes("peers.cluster.test failed"));
      assert.equal(warnings.length, 1, `warnings: ${JSON.stringify(warnings.map((w) => w.msg))}`);
      assert.match(warnings[0]?.msg ?? "", /keeping the last 2 peer\(s\), retrying in \d+ ms$/);
    });
  }

  it("a server port where nothing listens is a network failure", async () => {
    const t = await setup({ servers: ["127.0.0.1:1"], timeoutMs: 300 });
    close = t.close;
    await t.discovery.start();
    await until(() => t.discovery.currentError !== undefined, "a failed lookup");
    assert.equal(t.discovery.currentError?.kind, "network");
    assert.equal(t.discovery.currentError?.message, "DNS lookup A peers.cluster.test failed: the server cannot be reached, ECONNREFUSED");
    assert.deepEqual(t.discovery.peers(), []);
  });
});

describe("retries and recovery", () => {
  it("retries back off: doubling from backoffBaseMs to backoffCapMs (half fixed, half random)", async () => {
    const t = await setup({ backoffBaseMs: 20, backoffCapMs: 150 }, { random: () => 0.5 });
    close = t.close;
    t.dns.fault("peers.cluster.test", "servfail");
    const delays: number[] = [];
    await t.discovery.start();
    for (let n = 1; n <= 5; n++) {
      await until(() => t.discovery.stats().failuresTotal >= n, `failure ${n}`);
      delays.push(t.discovery.stats().nextRefreshMs);
    }
    assert.deepEqual(delays, [15, 30, 60, 113, 113]);
  });

  it("a distinct failure is logged again; recovery is logged at info, the new list announced and currentError cleared", async () => {
    const t = await setup({ timeoutMs: 300 });
    close = t.close;
    t.dns.fault("peers.cluster.test", "servfail");
    await t.discovery.start();
    await until(() => t.discovery.stats().failuresTotal >= 2, "two failures");
    t.dns.fault("peers.cluster.test", "nxdomain");
    await until(() => t.discovery.currentError?.kind === "not-found", "the NXDOMAIN failure");
    await until(() => t.discovery.stats().consecutiveFailures >= 4, "more failures");
    t.dns.fault("peers.cluster.test", undefined);
    t.dns.set("peers.cluster.test", GOOD);
    const peers = await waitForPeers(t.discovery, (p) => p.length === 2, 5_000);
    assert.deepEqual(peers, GOOD_PEERS);
    assert.equal(t.discovery.currentError, undefined);
    assert.deepEqual(
      t.logger.at("warn").map((e) => e.obj.kind),
      ["server", "not-found"],
    );
    assert.equal(t.logger.at("info").filter((e) => /recovered after \d+ failure/.test(e.msg)).length, 1);
  });

  it("a discovery whose first lookups fail delivers the peers once the name appears", async () => {
    const t = await setup();
    close = t.close;
    await t.discovery.start();
    await until(() => t.discovery.stats().failuresTotal >= 2, "two NXDOMAIN failures");
    assert.deepEqual(t.discovery.peers(), []);
    t.dns.set("peers.cluster.test", GOOD);
    assert.deepEqual(await waitForPeers(t.discovery, (p) => p.length === 2, 5_000), GOOD_PEERS);
  });

  it("stop() during an unanswered lookup returns at once and cancels it", async () => {
    const t = await setup({ timeoutMs: 5_000 });
    close = t.close;
    t.dns.fault("peers.cluster.test", "silent");
    await t.discovery.start();
    await until(() => t.dns.count("peers.cluster.test") >= 1, "the first question");
    const t0 = performance.now();
    await t.discovery.stop();
    assert.ok(performance.now() - t0 < 500, `stop() took ${Math.round(performance.now() - t0)} ms`);
    assert.equal(t.discovery.stats().failuresTotal, 0, "a cancelled lookup is not a failure");
    const asked = t.dns.count("peers.cluster.test");
    await sleep(300);
    assert.ok(t.dns.count("peers.cluster.test") <= asked + 2, "questions went on after stop()");
  });
});
