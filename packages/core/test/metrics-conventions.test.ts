import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { ContainerModule } from "inversify";
import { ConfigToken, MembershipToken, type CacheClusterConfig, type Observable, type StatDescription } from "../src/index.js";
import { DirectMembership } from "../src/membership/direct-membership.js";
import { closeAll, connect, parseExposition, startNode, type TestNode } from "./status-nodes.js";

/** `promtool check metrics` (Debian package prometheus): exit code and what it said. */
export function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", (error) => reject(new Error(`promtool is not installed (Debian package prometheus; run scripts/setup.sh): ${error.message}`)));
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** A membership that describes its stats as plugins should. */
class DescribedMembership extends DirectMembership implements Observable {
  stats(): Record<string, number> {
    return { probes: 7, suspicionTimeoutMs: 1500, lastJoinAt: 1_700_000_000_000, bytesSent: 4096, members: 3 };
  }
  describeStats(): Record<string, StatDescription> {
    return {
      probes: { type: "counter", help: "Probes sent." },
      suspicionTimeoutMs: { type: "gauge", unit: "milliseconds", help: "Current suspicion timeout." },
      lastJoinAt: { type: "gauge", unit: "epoch_milliseconds", help: "When the last join succeeded." },
      bytesSent: { type: "counter", unit: "bytes", name: "sent", help: "Bytes sent." },
      members: { type: "gauge", help: "Members known." },
    };
  }
}

describe("metrics follow Prometheus' conventions", () => {
  let a: TestNode;
  let b: TestNode;

  before(async () => {
    const membership = new ContainerModule(({ bind }) => {
      bind(MembershipToken).toResolvedValue((config: CacheClusterConfig) => DescribedMembership.fromConfig(config), [ConfigToken]);
    });
    a = await startNode("node-a", {}, [membership]);
    b = await startNode("node-b");
    for (const n of [a, b])
      n.cluster.group("thumbs", { maxBytes: 1 << 20, load: (key) => (key.startsWith("bad") ? Promise.reject(new Error("no")) : `thumb:${key}`) });
    await connect([a, b]);
  });
  after(() => closeAll([a, b]));

  it("a plugin's described stats get their type, base unit, _total and help", async () => {
    const text = await a.cluster.metrics.metrics();
    const { samples, types } = parseExposition(text);
    assert.equal(samples.get("cachecluster_membership_probes_total"), 7);
    assert.equal(types.get("cachecluster_membership_probes_total"), "counter");
    assert.equal(samples.get("cachecluster_membership_suspicion_timeout_seconds"), 1.5);
    assert.equal(samples.get("cachecluster_membership_last_join_timestamp_seconds"), 1_700_000_000);
    assert.equal(samples.get("cachecluster_membership_sent_bytes_total"), 4096);
    assert.equal(types.get("cachecluster_membership_members"), "gauge");
    assert.match(text, /# HELP cachecluster_membership_suspicion_timeout_seconds Current suspicion timeout\./);
  });

  it("exports get latency by outcome, loader duration and peer fetch latency as histograms", async () => {
    const thumbs = a.cluster.getGroup("thumbs")!;
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    for (const key of keys) await thumbs.get(key);
    for (const key of keys) await thumbs.get(key);
    await assert.rejects(thumbs.get(keys.map((k) => `bad-${k}`).find((k) => a.cluster.ring.get(k) === a.url)!));
    const own = keys.filter((k) => a.cluster.ring.get(k) === a.url).length;
    const stats = thumbs.stats;
    const { samples, types } = parseExposition(await a.cluster.metrics.metrics());
    const count = (name: string) => samples.get(name) ?? 0;
    assert.equal(types.get("cachecluster_get_duration_seconds"), "histogram");
    assert.ok(stats.peerLoads >= 40 - own);
    assert.equal(count(`cachecluster_get_duration_seconds_count{group="thumbs",outcome="peer"}`), stats.peerLoads);
    assert.equal(count(`cachecluster_get_duration_seconds_count{group="thumbs",outcome="load"}`), own);
    assert.equal(count(`cachecluster_get_duration_seconds_count{group="thumbs",outcome="hit"}`), stats.cacheHits);
    assert.equal(count(`cachecluster_get_duration_seconds_count{group="thumbs",outcome="error"}`), 1);
    assert.equal(count(`cachecluster_get_duration_seconds_bucket{group="thumbs",outcome="load",le="+Inf"}`), own);
    assert.equal(count(`cachecluster_load_duration_seconds_count{group="thumbs",result="ok"}`), own);
    assert.equal(count(`cachecluster_load_duration_seconds_count{group="thumbs",result="error"}`), 1);
    assert.equal(count(`cachecluster_peer_fetch_duration_seconds_count{peer="${b.url}"}`), stats.peerLoads);
    assert.equal(stats.gets, stats.peerLoads + own + stats.cacheHits + 1);
  });

  it("promtool check metrics finds nothing to complain about", async () => {
    const thumbs = a.cluster.getGroup("thumbs")!;
    await thumbs.get("promtool-key");
    for (const node of [a, b]) {
      const result = await promtool(await node.cluster.metrics.metrics());
      assert.equal(result.output.trim(), "", result.output);
      assert.equal(result.code, 0, result.output);
    }
  });
});
