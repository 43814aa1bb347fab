// The fleet simulator's pure parts: firewall rendering, unit files, gcloud argument syntax, the MIG's update
// policy check, the zipf sampler. (The fleet itself runs in tests/fleet, as root.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Fleet, type FirewallRule, ManagedInstanceGroup, execArgv, machineVcpus, parseEnvironmentFile, parseUnitFile, readiness } from "../src/fleet.js";
import { nftCounters, parseFirewallRules, renderNftRuleset } from "../src/fleet/firewall.js";
import { gcloudDict, gcloudDuration, gcloudList } from "../src/fleet/kit.js";
import { splitWords } from "../src/fleet/unit-file.js";
import { Zipf } from "../src/fleet/zipf.js";

const rule = (over: Partial<FirewallRule>): FirewallRule => ({
  name: "r",
  direction: "INGRESS",
  action: "ALLOW",
  priority: 1000,
  rules: [],
  sourceRanges: [],
  sourceTags: [],
  destinationRanges: [],
  targetTags: [],
  ...over,
});

describe("fleet firewall", () => {
  it("parses gcloud's --rules into protocols and port ranges", () => {
    assert.deepEqual(parseFirewallRules("tcp:7946-7953,udp:7946-7953,tcp:9080"), [
      { protocol: "tcp", ports: ["7946-7953", "9080"] },
      { protocol: "udp", ports: ["7946-7953"] },
    ]);
    assert.throws(() => parseFirewallRules("sctp:1"), /expected tcp, udp, icmp or all/);
  });

  it("renders only the rules whose target tags the VM carries, by priority, with the sources of now, after the stateful accept", () => {
    const text = renderNftRuleset(
      { tags: ["cache"] },
      [
        rule({ name: "late", priority: 2000, rules: [{ protocol: "tcp", ports: ["80"] }], sourceRanges: ["10.0.0.0/8"], targetTags: ["cache"] }),
        rule({ name: "gossip", rules: [{ protocol: "udp", ports: ["7946-7953"] }], sourceTags: ["cache"], targetTags: ["cache"] }),
        rule({ name: "other", rules: [{ protocol: "all", ports: [] }], sourceRanges: ["0.0.0.0/0"], targetTags: ["web"] }),
        rule({
          name: "no-udp",
          direction: "EGRESS",
          action: "DENY",
          priority: 900,
          rules: [{ protocol: "udp", ports: [] }],
          destinationRanges: ["10.128.0.0/20"],
        }),
      ],
      (r) => (r.name === "gossip" ? ["10.128.0.10", "10.128.0.11"] : r.sourceRanges),
    );
    const lines = text.split("\n").map((l) => l.trim());
    const gossip = lines.indexOf('ip saddr { 10.128.0.10, 10.128.0.11 } udp dport { 7946-7953 } counter accept comment "gossip"');
    const late = lines.indexOf('ip saddr { 10.0.0.0/8 } tcp dport { 80 } counter accept comment "late"');
    assert.ok(gossip > lines.indexOf("ct state established,related accept") && late > gossip, text);
    assert.ok(!text.includes('"other"'), "a rule for another tag must not apply");
    assert.ok(lines.includes('ip daddr { 10.128.0.0/20 } meta l4proto udp counter drop comment "no-udp"'), text);
    assert.ok(lines.includes("type filter hook input priority 0; policy drop;") && lines.includes("type filter hook output priority 0; policy accept;"));
  });

  it("reads packet counts per rule from nft's JSON", () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: {} },
        { rule: { comment: "gossip", expr: [{ match: {} }, { counter: { packets: 7, bytes: 900 } }, { accept: null }] } },
        { rule: { expr: [{ accept: null }] } },
      ],
    });
    assert.deepEqual(nftCounters(json), { gossip: 7 });
  });
});

describe("fleet unit files", () => {
  it("expands a template instance's specifiers, keeps repeated keys in order, and resets a list on an empty assignment", () => {
    const unit = parseUnitFile(
      '[Service]\nEnvironmentFile=/etc/w-%i.env\nEnvironment=A=1\nEnvironment=\nEnvironment="B=two words" C=%p\nExecStart=/bin/echo \\\n  %n\n',
      "job@7.service",
    );
    const s = unit.get("Service")!;
    assert.deepEqual(s.get("EnvironmentFile"), ["/etc/w-7.env"]);
    assert.deepEqual(s.get("Environment"), ['"B=two words" C=job']);
    assert.deepEqual(s.get("ExecStart"), ["/bin/echo    job@7.service"]);
  });

  it("expands ${VAR} inside a word and splits a lone $VAR at whitespace, as systemd does", () => {
    assert.deepEqual(execArgv("/usr/bin/node --max-old-space-size=${HEAP} $ARGS ${ONE}", { HEAP: "640", ARGS: "a  b", ONE: "x y" }), [
      "/usr/bin/node",
      "--max-old-space-size=640",
      "a",
      "b",
      "x y",
    ]);
    assert.throws(() => execArgv("node app.js", {}), /expected an absolute path/);
  });

  it("reads environment files with comments and quotes", () => {
    assert.deepEqual(parseEnvironmentFile("# c\nA=1\n; d\nB=\"two words\"\n\nC='x'\n"), { A: "1", B: "two words", C: "x" });
    assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ["a", "b c", "d e", "f g"]);
  });
});

describe("fleet gcloud syntax", () => {
  it("reads lists and dicts, with gcloud's ^DELIM^ escape", () => {
    assert.deepEqual(gcloudList("a,b,c"), ["a", "b", "c"]);
    assert.deepEqual(gcloudDict("^;^k=v,w;x=1"), { k: "v,w", x: "1" });
    assert.equal(gcloudDuration("5s"), 5000);
    assert.equal(gcloudDuration("120"), 120_000);
    assert.equal(gcloudDuration("2m"), 120_000);
    assert.equal(machineVcpus("e2-standard-4"), 4);
    assert.equal(machineVcpus("e2-small"), 2);
  });
});

describe("fleet MIG update policy", () => {
  const fleet = { own() {}, log() {}, now: () => 0, project: "p" } as unknown as Fleet;
  const template = { name: "t", machineType: "e2-small", tags: [], labels: {}, metadata: {}, serviceAccount: null, provisioningModel: "STANDARD" } as const;
  const mig = new ManagedInstanceGroup(fleet, {
    name: "m",
    baseInstanceName: "m",
    zones: ["us-central1-a", "us-central1-b", "us-central1-c"],
    template,
    targetSize: 6,
    initialDelayMs: 0,
    vcpus: () => 2,
    ports: () => ({ app: [8080], cache: [9080] }),
  });

  it("refuses, as GCE does, a fixed maxSurge or maxUnavailable between 0 and the number of zones of a regional group", () => {
    assert.throws(
      () => mig.startUpdate({ ...template, name: "t2" }, { maxSurge: 1, maxUnavailable: 0, minReadyMs: 0 }),
      /has to be either 0 or at least equal to the number of zones \(3\)/,
    );
    assert.throws(() => mig.startUpdate({ ...template, name: "t2" }, { maxSurge: 0, maxUnavailable: 0, minReadyMs: 0 }), /must be above 0/);
    assert.doesNotThrow(() => mig.startUpdate({ ...template, name: "t2" }, { maxSurge: 3, maxUnavailable: 0, minReadyMs: 0 }));
    mig.stop();
  });
});

describe("fleet load and health", () => {
  it("zipf draws low ranks far more often than high ones", () => {
    const zipf = new Zipf(1000, 1.1);
    let first = 0;
    let last = 0;
    for (let i = 0; i < 10_000; i++) {
      const r = zipf.draw((i + 0.5) / 10_000);
      if (r === 0) first++;
      if (r === 999) last++;
    }
    assert.ok(first > 100 * Math.max(1, last), `rank 0: ${first}, rank 999: ${last}`);
  });

  it("asks the check's own path and is healthy on 200 only, naming /readyz's reason when it is not", () => {
    const check = { name: "c", port: 9080, requestPath: "/readyz", intervalMs: 1, timeoutMs: 1, healthyThreshold: 1, unhealthyThreshold: 1 };
    const r = readiness(check);
    assert.equal(r.path, "/readyz");
    assert.equal(r.healthy(200, JSON.stringify({ status: "ok", reason: "joined: 3 peers on the ring" })), true);
    assert.equal(r.healthy(503, JSON.stringify({ status: "unavailable", reason: "stopping" })), false);
    assert.equal(
      r.why(503, JSON.stringify({ status: "unavailable", reason: "joining: discovery has delivered no list yet" })),
      "HTTP 503: joining: discovery has delivered no list yet",
    );
    assert.equal(r.why(502, "<html>"), "HTTP 502");
    assert.equal(readiness({ ...check, requestPath: "/healthz" }).path, "/healthz");
  });
});

describe("fleet options", () => {
  it("are checked before anything is created, each bad one named", async () => {
    await assert.rejects(
      Fleet.create({ opt: { app: "relative/path" }, timings: { shutdownWindowMs: 0, preemptionWindowMs: 1000 }, zones: ["Zone A"] }),
      (error: Error) =>
        /timings\.shutdownWindowMs: expected a positive whole number of ms, got 0/.test(error.message) &&
        /zones: expected zone names such as us-central1-a, got "Zone A"/.test(error.message) &&
        /opt\.app: expected an absolute path that exists/.test(error.message),
    );
  });
});
