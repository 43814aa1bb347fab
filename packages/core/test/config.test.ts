import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, parseConfig, parseConfigText } from "../src/index.js";

const SEED_INI = `
[cache]
port = 9080          ; peer HTTP port
[cluster]
port = 9999          ; SWIM port (UDP, and TCP for state sync)
heartbeat = 250      ; protocol period in ms
[match]
project = my-project ; default: from metadata
zone = us-central1-b ; default: from metadata
network_interface = nic0
tags = http-server
[meta]
service = web
`;

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.code, "CACHECLUSTER_CONFIG_INVALID");
    return [...error.issues];
  }
  assert.fail("expected a ConfigError");
}

describe("config", () => {
  it("reads the seed's ini format with its comments", () => {
    const c = parseConfigText(SEED_INI, { env: {} });
    assert.equal(c.cache.port, 9080);
    assert.equal(c.cluster.port, 9999);
    assert.equal(c.cluster.heartbeat, 250);
    assert.equal(c.match.project, "my-project");
    assert.deepEqual(c.match.zone, ["us-central1-b"]);
    assert.equal(c.match.network_interface, "nic0");
    assert.deepEqual(c.match.tags, ["http-server"]);
    assert.deepEqual(c.meta, { service: "web" });
  });

  it("fills defaults for an empty file", () => {
    const c = parseConfigText("", { env: {} });
    assert.equal(c.cache.port, 9080);
    assert.equal(c.cache.replicas, 50);
    assert.equal(c.cluster.heartbeat, 1000);
    assert.deepEqual(c.match.tags, []);
  });

  it("splits lists on commas and spaces", () => {
    const c = parseConfigText("[match]\ntags = a, b c\nzone = us-east1-b,us-east1-c\n", { env: {} });
    assert.deepEqual(c.match.tags, ["a", "b", "c"]);
    assert.deepEqual(c.match.zone, ["us-east1-b", "us-east1-c"]);
  });

  it("lets environment variables override the file", () => {
    const c = parseConfigText(SEED_INI, {
      env: { CACHECLUSTER_CACHE_PORT: "9181", CACHECLUSTER_META_ROLE: "api", CACHECLUSTER_PEERS: "ignored", PATH: "/bin" },
    });
    assert.equal(c.cache.port, 9181);
    assert.deepEqual(c.meta, { service: "web", role: "api" });
  });

  it("names file, section, key and the expected value for a bad value", () => {
    const issues = issuesOf(() => parseConfigText("[cache]\nport = abc\n", { file: "/etc/cc.ini", env: {} }));
    assert.equal(issues.length, 1);
    assert.match(issues[0]!, /^\/etc\/cc\.ini \[cache\] port: expected .*port.*got "abc"/);
  });

  it("names the environment variable when the bad value came from it", () => {
    const issues = issuesOf(() => parseConfigText("", { env: { CACHECLUSTER_CLUSTER_HEARTBEAT: "-5" } }));
    assert.match(issues[0]!, /^environment CACHECLUSTER_CLUSTER_HEARTBEAT: expected at least 1 ms/);
  });

  it("reports unknown sections and keys", () => {
    const issues = issuesOf(() => parseConfigText("[cache]\nprot = 1\n[cahce]\nport = 1\n", { file: "x.ini", env: {} }));
    assert.ok(
      issues.some((i) => /x\.ini \[cache\] prot: unknown key "prot"/.test(i)),
      issues.join("\n"),
    );
    assert.ok(
      issues.some((i) => /unknown section "cahce"/.test(i)),
      issues.join("\n"),
    );
  });

  it("reports keys outside any section and malformed environment names", () => {
    assert.match(issuesOf(() => parseConfigText("port = 1\n", { env: {} }))[0]!, /outside any section/);
    assert.match(issuesOf(() => parseConfigText("", { env: { CACHECLUSTER_NOPE: "1" } }))[0]!, /CACHECLUSTER_NOPE: not a config key/);
  });

  it("reports every problem at once", () => {
    const issues = issuesOf(() => parseConfigText("[cache]\nport = 70000\nreplicas = 0\n[cluster]\nport = x\n", { env: {} }));
    assert.equal(issues.length, 3, issues.join("\n"));
  });

  it("validates config given in code with the same schema", () => {
    assert.equal(parseConfig({ cache: { port: 1234 } }).cache.port, 1234);
    assert.match(issuesOf(() => parseConfig({ cache: { port: -1 } }))[0]!, /^config cache\.port: /);
    assert.equal(parseConfig({ cache: { max_bytes: "64MiB" } }).cache.max_bytes, 64 * 1024 * 1024);
  });

  it("loads a file from disk, errors clearly on a missing explicit path, and tolerates a missing default file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cc-config-"));
    const file = join(dir, "cachecluster.ini");
    await writeFile(file, SEED_INI);
    assert.equal((await loadConfig(file, { env: {} })).match.project, "my-project");
    await assert.rejects(loadConfig(join(dir, "missing.ini"), { env: {} }), {
      code: "CACHECLUSTER_CONFIG_UNREADABLE",
      message: /missing\.ini: cannot read the config file \(ENOENT\)/,
    });
    const cwd = process.cwd();
    process.chdir(dir + "/..");
    try {
      assert.equal((await loadConfig(undefined, { env: {} })).cache.port, 9080);
    } finally {
      process.chdir(cwd);
    }
  });
});
