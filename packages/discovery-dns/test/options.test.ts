import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, createCacheCluster, parseConfigText } from "@cachecluster/core";
import { DnsDiscovery, dnsDiscovery } from "../src/index.js";

/** The issues of the ConfigError that `fn` throws (or rejects with). */
async function issues(fn: () => unknown): Promise<readonly string[]> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, "CACHECLUSTER_CONFIG_INVALID");
    return error.issues;
  }
  assert.fail("expected a ConfigError");
}

const ini = (text: string) => parseConfigText(text, { file: "cachecluster.ini", plugins: [dnsDiscovery()] });

async function discoveryOf(config: Parameters<typeof createCacheCluster>[0], plugin = dnsDiscovery()): Promise<DnsDiscovery> {
  const cluster = await createCacheCluster(config, [plugin]);
  assert.ok(cluster.discovery instanceof DnsDiscovery);
  return cluster.discovery;
}

describe("options in code", () => {
  it("dnsDiscovery() checks its options when called, naming every bad one", async () => {
    assert.deepEqual(await issues(() => dnsDiscovery({ name: "bad name!", type: "MX" as "A", servers: ["x", "10.0.0.1:0"], refreshms: 5 } as never)), [
      'dnsDiscovery options.name: expected a DNS name such as peers.default.svc.cluster.local (labels of letters, digits, - and _, at most 63 characters each), got "bad name!"',
      'dnsDiscovery options.type: expected "A", "AAAA" or "SRV", got "MX"',
      'dnsDiscovery options.servers[0]: expected a DNS server IP address, optionally with a port: 10.0.0.10, 127.0.0.1:8600, fd00::53 or [fd00::53]:5353, got "x"',
      'dnsDiscovery options.servers[1]: expected a DNS server IP address, optionally with a port: 10.0.0.10, 127.0.0.1:8600, fd00::53 or [fd00::53]:5353, got "10.0.0.1:0"',
      'dnsDiscovery options.refreshms: unknown option "refreshms" (did you mean "refreshMs"?); known: name, type, port, portKind, refreshMs, minRefreshMs, timeoutMs, servers, jitter, backoffBaseMs, backoffCapMs',
    ]);
  });

  it("options that contradict each other are errors", async () => {
    assert.deepEqual(await issues(() => dnsDiscovery({ type: "SRV", port: 80, refreshMs: 1_000, minRefreshMs: 2_000, backoffBaseMs: 10, backoffCapMs: 5 })), [
      "dnsDiscovery options.port: expected no port with type SRV (SRV records carry their port), got 80",
      "dnsDiscovery options.minRefreshMs: expected minRefreshMs <= refreshMs (1000), got 2000",
      "dnsDiscovery options.backoffCapMs: expected backoffCapMs >= backoffBaseMs (10), got 5",
    ]);
  });

  it("new DnsDiscovery() without a name is an error saying where to set one", async () => {
    assert.deepEqual(await issues(() => new DnsDiscovery({} as never)), [
      "dnsDiscovery options.name: missing: set [dns] name in the config or the name option",
    ]);
  });

  it("a DNS name with a final dot, an underscore label and IPv6 servers is accepted", () => {
    const d = new DnsDiscovery({ name: "_gossip._udp.cache.service.consul.", type: "SRV", servers: ["127.0.0.1:8600", "fd00::53", "[fd00::53]:5353"] });
    assert.equal(d.settings.name, "_gossip._udp.cache.service.consul");
  });

  it("minRefreshMs defaults to 5 s, or to refreshMs when that is shorter", () => {
    assert.equal(new DnsDiscovery({ name: "a.test" }).settings.minRefreshMs, 5_000);
    assert.equal(new DnsDiscovery({ name: "a.test", refreshMs: 1_000 }).settings.minRefreshMs, 1_000);
  });
});

describe("the [dns] section", () => {
  it("is checked with the rest of the config: each bad key named with its file and line, unknown keys with a did-you-mean", async () => {
    assert.deepEqual(await issues(() => ini("[dns]\nname = a..b\ntype = mx\nport = 0\nservers = 1.2.3.4, nope\nrefesh = 3\nport_kind = http\n")), [
      'cachecluster.ini:6 [dns] refesh: unknown key "refesh" in [dns] (did you mean "refresh"?); known keys: name, type, port, port_kind, refresh, min_refresh, timeout, servers',
      'cachecluster.ini:2 [dns] name: expected a DNS name such as peers.default.svc.cluster.local (labels of letters, digits, - and _, at most 63 characters each), got "a..b"',
      'cachecluster.ini:3 [dns] type: expected "A", "AAAA" or "SRV", got "mx"',
      'cachecluster.ini:4 [dns] port: expected an integer from 1 to 65535, got "0"',
      'cachecluster.ini:7 [dns] port_kind: expected "cluster" or "cache", got "http"',
      'cachecluster.ini:5 [dns] servers[1]: expected a DNS server IP address, optionally with a port: 10.0.0.10, 127.0.0.1:8600, fd00::53 or [fd00::53]:5353, got "nope"',
    ]);
  });

  it("gives the discovery its settings (type and port kind in any case, servers comma-separated)", async () => {
    const config = ini(
      "[dns]\nname = cache.default.svc.cluster.local\ntype = aaaa\nport = 7946\nport_kind = Cache\nrefresh = 10000\nmin_refresh = 2000\ntimeout = 800\nservers = 10.0.0.10, 10.0.0.11:5353\n",
    );
    const { settings } = await discoveryOf(config);
    assert.deepEqual(
      { ...settings },
      {
        name: "cache.default.svc.cluster.local",
        type: "AAAA",
        port: 7946,
        portKind: "cache",
        refreshMs: 10_000,
        minRefreshMs: 2_000,
        timeoutMs: 800,
        servers: ["10.0.0.10", "10.0.0.11:5353"],
        jitter: 0.1,
        backoffBaseMs: 1_000,
        backoffCapMs: 60_000,
      },
    );
  });

  it("options in code win over the config, and keys the config leaves unset keep the options' defaults", async () => {
    const config = ini("[dns]\nname = from.config\ntype = SRV\n");
    const { settings } = await discoveryOf(config, dnsDiscovery({ name: "from.code", refreshMs: 1_000 }));
    assert.equal(settings.name, "from.code");
    assert.equal(settings.type, "SRV");
    assert.equal(settings.refreshMs, 1_000);
    assert.equal(settings.minRefreshMs, 1_000, "not the config's documented default of 5000, which would exceed refreshMs");
  });

  it("a contradiction between code and config names the config line", async () => {
    const config = ini("[dns]\nname = a.test\nport = 80\n");
    assert.deepEqual(await issues(() => createCacheCluster(config, [dnsDiscovery({ type: "SRV" })])), [
      "cachecluster.ini:3 [dns] port: expected no port with type SRV (SRV records carry their port), got 80",
    ]);
  });

  it("without a name in code or config, building the cluster fails saying where to set one", async () => {
    assert.deepEqual(await issues(() => createCacheCluster({}, [dnsDiscovery()])), [
      "dnsDiscovery options.name: missing: set [dns] name in the config or the name option",
    ]);
  });

  it("environment variables override the file", async () => {
    const config = parseConfigText("[dns]\nname = a.test\n", {
      file: "cachecluster.ini",
      env: { CACHECLUSTER_DNS_NAME: "b.test", CACHECLUSTER_DNS_TYPE: "SRV" },
      plugins: [dnsDiscovery()],
    });
    const { settings } = await discoveryOf(config);
    assert.equal(settings.name, "b.test");
    assert.equal(settings.type, "SRV");
  });
});
