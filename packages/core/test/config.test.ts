import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, configSection, configValue, definePlugin, loadConfig, openConfigSection, parseConfig, parseConfigText } from "../src/index.js";

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

// Declarations as plugins make them (the real ones live in the plugin packages).
const match = configSection("match", "test-gce", {
  project: z.string().optional().describe("project"),
  zone: configValue
    .list(z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, { error: "expected a zone name such as us-central1-b" }))
    .optional()
    .describe("zones"),
  network_interface: z.string().optional().describe("nic"),
  tags: configValue
    .list(z.string().regex(/^[a-z][-a-z0-9]*$/, { error: "expected a network tag (no spaces)" }))
    .default([])
    .describe("tags"),
});
const meta = openConfigSection("meta", "test-gce", z.string().min(1), z.string(), "metadata items");
const swimKeys = configSection(
  "cluster",
  "test-swim",
  { heartbeat: configValue.milliseconds().default(1000).describe("period"), secret_keys: configValue.list(z.string()).default([]).describe("keys") },
  { sensitive: ["secret_keys"] },
);
const plugins = [definePlugin({ name: "test-gce", config: [match, meta], load() {} }), definePlugin({ name: "test-swim", config: [swimKeys], load() {} })];

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
  it("reads the seed's ini format with its comments, each plugin reading its own section", () => {
    const c = parseConfigText(SEED_INI, { env: {}, plugins });
    assert.equal(c.cache.port, 9080);
    assert.equal(c.cluster.port, 9999);
    assert.equal(c.section(swimKeys).heartbeat, 250);
    assert.deepEqual(c.section(match), { project: "my-project", zone: ["us-central1-b"], network_interface: "nic0", tags: ["http-server"] });
    assert.deepEqual(c.section(meta), { service: "web" });
  });

  it("fills defaults for an empty file", () => {
    const c = parseConfigText("", { env: {}, plugins });
    assert.equal(c.cache.port, 9080);
    assert.equal(c.cache.replicas, 50);
    assert.equal(c.section(swimKeys).heartbeat, 1000);
    assert.deepEqual(c.section(match).tags, []);
  });

  it("splits lists on commas only, so an item with a space is one bad item, not two", () => {
    assert.deepEqual(parseConfigText("[match]\ntags = a, b-c\nzone = us-east1-b,us-east1-c\n", { env: {}, plugins }).section(match).tags, ["a", "b-c"]);
    const issues = issuesOf(() => parseConfigText("[match]\ntags = http-server, my tag\n", { env: {}, plugins }));
    assert.equal(issues.length, 1, issues.join("\n"));
    assert.match(issues[0]!, /^cachecluster\.ini:2 \[match\] tags\[1\]: expected a network tag \(no spaces\), got "my tag"$/);
  });

  it("lets environment variables override the file, plugin sections included", () => {
    const c = parseConfigText(SEED_INI, {
      plugins,
      env: { CACHECLUSTER_CACHE_PORT: "9181", CACHECLUSTER_META_ROLE: "api", CACHECLUSTER_PEERS: "ignored", PATH: "/bin" },
    });
    assert.equal(c.cache.port, 9181);
    assert.deepEqual(c.section(meta), { service: "web", role: "api" });
  });

  it("names file, line, section, key and the value as written for a bad value", () => {
    const issues = issuesOf(() => parseConfigText("[cache]\nport = abc\n", { file: "/etc/cc.ini", env: {} }));
    assert.equal(issues.length, 1);
    assert.match(issues[0]!, /^\/etc\/cc\.ini:2 \[cache\] port: expected .*port.*, got "abc"$/);
  });

  it("names the environment variable when the bad value came from it", () => {
    const issues = issuesOf(() => parseConfigText("", { env: { CACHECLUSTER_CLUSTER_HEARTBEAT: "-5" }, plugins }));
    assert.match(issues[0]!, /^environment CACHECLUSTER_CLUSTER_HEARTBEAT: expected at least 1 ms, got "-5"$/);
  });

  it("reports unknown sections and keys with what was probably meant", () => {
    const issues = issuesOf(() => parseConfigText("[cache]\nprot = 1\n[cahce]\nport = 1\n[cluster]\nheartbaet = 5\n", { file: "x.ini", env: {}, plugins }));
    assert.deepEqual(issues, [
      'x.ini:2 [cache] prot: unknown key "prot" in [cache] (did you mean "port"?); known keys: port, host, self, replicas, max_bytes, store, invalidation, hot_policy, timeout, eject_after, eject_time',
      'x.ini:3 [cahce]: unknown section [cahce] (did you mean "cache"?); known sections: [cache], [cluster], [admin], [match], [meta]',
      'x.ini:6 [cluster] heartbaet: unknown key "heartbaet" in [cluster] (did you mean "heartbeat"?); known keys: port, host, name, advertise, join_timeout, heartbeat, secret_keys',
    ]);
  });

  it("leaves plugin sections to the cluster when loaded without the plugins, and reports them when it gets them", async () => {
    const c = parseConfigText("[match]\nzone = Nowhere\n[nope]\nx = 1\n", { env: {} });
    assert.equal(c.cache.port, 9080, "core's keys are checked and usable now");
    const issues = issuesOf(() => c.check(plugins.flatMap((p) => p.config)));
    assert.deepEqual(issues, [
      "cachecluster.ini:3 [nope]: unknown section [nope]; known sections: [cache], [cluster], [admin], [match], [meta]",
      'cachecluster.ini:2 [match] zone[0]: expected a zone name such as us-central1-b, got "Nowhere"',
    ]);
  });

  it("refuses what lenient ini readers accept silently: a duplicated key, a line without '=', a key outside any section", () => {
    const issues = issuesOf(() => parseConfigText("port = 1\n[cache]\nport = 1\nport = 2\n[meta]\nservice web\n[bad section]\n", { env: {}, plugins }));
    assert.deepEqual(issues, [
      'cachecluster.ini:1: key "port" is outside any section; put it under a header such as [cache]',
      "cachecluster.ini:4: [cache] port is set twice (first on line 3); keep one",
      'cachecluster.ini:6: expected "key = value", got "service web"',
      'cachecluster.ini:7: expected a section header such as [cache], got "[bad section]"',
    ]);
    assert.match(issuesOf(() => parseConfigText("", { env: { CACHECLUSTER_NOPE: "1" } }))[0]!, /CACHECLUSTER_NOPE: not a config key/);
  });

  it("keeps quoted values whole and strips a byte-order mark", () => {
    const c = parseConfigText('\uFEFF[meta]\nnote = "a ; b # c"\n', { env: {}, plugins });
    assert.deepEqual(c.section(meta), { note: "a ; b # c" });
  });

  it("reports every problem at once, core's and the plugins'", () => {
    const issues = issuesOf(() =>
      parseConfigText("[cache]\nport = 70000\nreplicas = 0\n[cluster]\nport = x\nheartbeat = 0\n[match]\nzone = x\n", { env: {}, plugins }),
    );
    assert.equal(issues.length, 5, issues.join("\n"));
  });

  it("validates config given in code with the same schemas and names the option path", () => {
    assert.equal(parseConfig({ cache: { port: 1234 } }).cache.port, 1234);
    assert.match(issuesOf(() => parseConfig({ cache: { port: -1 } }))[0]!, /^config cache\.port: expected a port from 0 to 65535, got -1$/);
    assert.equal(parseConfig({ cache: { max_bytes: "64MiB" } }).cache.max_bytes, 64 * 1024 * 1024);
    assert.match(issuesOf(() => parseConfig({ match: { zone: ["x"] } }, { plugins }))[0]!, /^config match\.zone\[0\]: expected a zone name/);
    assert.match(issuesOf(() => parseConfig({ cache: "9080" } as never))[0]!, /^config cache: expected an object of keys/);
  });

  it("refuses two plugins that claim the same key", () => {
    const other = definePlugin({ name: "other", config: [configSection("cluster", "other", { heartbeat: z.string().optional().describe("x") })], load() {} });
    const issues = issuesOf(() => parseConfigText("", { env: {}, plugins: [...plugins, other] }));
    assert.deepEqual(issues, ["[cluster] heartbeat is declared by both test-swim and other: two plugins cannot own one config key"]);
  });

  it("shows the effective config with secrets redacted", () => {
    const c = parseConfigText("[cluster]\nsecret_keys = a2V5\n", { env: {}, plugins });
    const effective = c.effective();
    assert.equal(effective.cluster?.secret_keys, "<redacted>");
    assert.equal(effective.cluster?.heartbeat, 1000);
    assert.equal(effective.cache?.port, 9080);
  });

  it("loads a file from disk; a file named by path or CACHECLUSTER_CONFIG must exist, the default one may not", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cc-config-"));
    const file = join(dir, "cachecluster.ini");
    await writeFile(file, SEED_INI);
    assert.equal((await loadConfig(file, { env: {}, plugins })).section(match).project, "my-project");
    assert.equal((await loadConfig({ env: { CACHECLUSTER_CONFIG: file }, plugins })).section(match).project, "my-project");
    await assert.rejects(loadConfig(join(dir, "missing.ini"), { env: {} }), {
      code: "CACHECLUSTER_CONFIG_UNREADABLE",
      message: /missing\.ini: cannot read the config file \(ENOENT\)/,
    });
    await assert.rejects(loadConfig({ env: { CACHECLUSTER_CONFIG: "/nonexistent.ini" } }), {
      code: "CACHECLUSTER_CONFIG_UNREADABLE",
      message: /\/nonexistent\.ini \(named by CACHECLUSTER_CONFIG\): cannot read the config file \(ENOENT\)/,
    });
    const cwd = process.cwd();
    process.chdir(dir + "/..");
    try {
      assert.equal((await loadConfig({ env: {} })).cache.port, 9080);
    } finally {
      process.chdir(cwd);
    }
  });
});
