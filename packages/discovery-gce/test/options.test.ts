import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, DiscoveryToken, createCacheCluster, parseConfig } from "@cachecluster/core";
import { Container } from "inversify";
import { GceDiscovery, gceDiscovery, gceDiscoveryOptions } from "../src/index.js";
import { parseGceDiscoveryOptions, resolveGceDiscoveryOptions } from "../src/options.js";
import { bindCore } from "@cachecluster/core";

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  assert.fail("expected a ConfigError");
}

describe("gceDiscovery options are validated eagerly with messages that name the option", () => {
  const bad: [string, unknown, RegExp][] = [
    ["a zone in capitals", { zones: ["US-CENTRAL1-B"] }, /options\.zones\[0\]: expected a zone name such as us-central1-b, got "US-CENTRAL1-B"/],
    ["zones and a region together", { zones: "us-central1-b", region: "us-central1" }, /options\.region: expected either zones or region, not both/],
    ["a bad region", { region: "central" }, /options\.region: expected a region name/],
    ["a label value with capitals", { labels: { env: "Prod" } }, /options\.labels\.env: expected a label value/],
    ["a label key starting with a digit", { labels: { "1env": "prod" } }, /options\.labels.*expected a label key/],
    ["a tag with an underscore", { tags: ["http_server"] }, /options\.tags\[0\]: expected a network tag/],
    ["a page size above 500", { maxResults: 501 }, /options\.maxResults: expected a page size from 1 to 500, got 501/],
    ["an unknown option", { zone: "us-central1-b" }, /options\.zone: unknown option "zone" \(did you mean "zones"\?\)/],
    ["a jitter above 1", { jitter: 2 }, /options\.jitter: expected a jitter from 0 to 1, got 2/],
    ["a backoff cap below its base", { backoffBaseMs: 5_000, backoffCapMs: 1_000 }, /options\.backoffCapMs: expected backoffCapMs >= backoffBaseMs/],
    [
      "a network interface that is not nicN",
      { networkInterface: "eth0" },
      /options\.networkInterface: expected a network interface name such as nic0, got "eth0"/,
    ],
    ["a protocol other than http(s)", { protocol: "ftp" }, /options\.protocol: expected "http" or "https"/],
  ];
  for (const [title, input, message] of bad) {
    it(`rejects ${title}`, () => {
      const found = issues(() => parseGceDiscoveryOptions(input));
      assert.ok(
        found.some((i) => message.test(i)),
        found.join("\n"),
      );
      // The constructor and the module factory check them too, before anything runs.
      assert.throws(() => new GceDiscovery({ options: input as never }), ConfigError);
      assert.throws(() => gceDiscovery(input as never), ConfigError);
    });
  }

  it("refresh() before start() rejects with CACHECLUSTER_NOT_STARTED and touches no network", async () => {
    const discovery = new GceDiscovery({ options: { project: "acme-prod", zones: "us-central1-a" } });
    await assert.rejects(discovery.refresh(), { code: "CACHECLUSTER_NOT_STARTED" });
    assert.equal(discovery.stats().apiCalls, 0);
  });

  it("accepts one zone as a string and fills the documented defaults", () => {
    const s = parseGceDiscoveryOptions({ zones: "us-central1-b" });
    assert.deepEqual(s.zones, ["us-central1-b"]);
    assert.equal(s.refreshMs, 60_000);
    assert.equal(s.jitter, 0.1);
    assert.equal(s.maxResults, 500);
    assert.equal(s.apiBudgetPerMinute, 500);
    assert.equal(s.backoffBaseMs, 1_000);
    assert.equal(s.backoffCapMs, 300_000);
    assert.equal(s.requestTimeoutMs, 10_000);
    assert.deepEqual(gceDiscoveryOptions.parse({}).tags, []);
  });
});

describe("gceDiscovery options merge over the core config's [match] and [meta]", () => {
  const config = parseConfig({
    match: {
      project: "acme-prod",
      zone: "us-central1-a, us-central1-b",
      network_interface: "nic1",
      tags: "cache, blue",
      labels: ["env=prod", "app=cache"],
      refresh: 30_000,
      cluster_port: "7946",
    },
    meta: { service: "web" },
  });

  it("takes project, zones, interface, tags, labels, refresh, cluster_port and [meta] from the config", () => {
    const s = resolveGceDiscoveryOptions({}, config);
    assert.equal(s.project, "acme-prod");
    assert.deepEqual(s.zones, ["us-central1-a", "us-central1-b"]);
    assert.equal(s.networkInterface, "nic1");
    assert.deepEqual(s.tags, ["cache", "blue"]);
    assert.deepEqual(s.labels, { env: "prod", app: "cache" });
    assert.deepEqual(s.metadata, { service: "web" });
    assert.equal(s.refreshMs, 30_000);
    assert.equal(s.clusterPort, 7946);
  });

  it("an option given in code wins over the config, and a region in code replaces the config's zones", () => {
    const s = resolveGceDiscoveryOptions({ tags: ["green"], region: "europe-west1", refreshMs: 5_000 }, config);
    assert.deepEqual(s.tags, ["green"]);
    assert.equal(s.region, "europe-west1");
    assert.equal(s.zones, undefined);
    assert.equal(s.refreshMs, 5_000);
    assert.equal(s.project, "acme-prod");
  });

  it("a bad config value is reported with its config key", () => {
    const found = issues(() => resolveGceDiscoveryOptions({}, parseConfig({ match: { zone: "Nowhere" } })));
    assert.ok(
      found.some((i) => /^config match\.zone\[0\]: expected a zone name such as us-central1-b, got "Nowhere"$/.test(i)),
      found.join("\n"),
    );
    const labels = issues(() => resolveGceDiscoveryOptions({}, parseConfig({ match: { labels: "env" } })));
    assert.ok(
      labels.some((i) => /^config match\.labels\[0\]: expected key=value, got "env"$/.test(i)),
      labels.join("\n"),
    );
  });

  it("the ContainerModule binds core's DiscoveryToken to one GceDiscovery built from config and options", async () => {
    const container = new Container();
    bindCore(container, config);
    container.load(gceDiscovery({ refreshMs: 1_234 }));
    const discovery = container.get(DiscoveryToken);
    assert.ok(discovery instanceof GceDiscovery);
    assert.equal(container.get(DiscoveryToken), discovery, "singleton");
    assert.equal(discovery.settings.refreshMs, 1_234);
    assert.deepEqual(discovery.settings.zones, ["us-central1-a", "us-central1-b"]);
  });

  it("createCacheCluster wires it as the cluster's discovery", async () => {
    const cluster = await createCacheCluster({ match: { project: "acme-prod", zone: "us-central1-f" } }, [gceDiscovery()]);
    assert.ok(cluster.discovery instanceof GceDiscovery);
    assert.deepEqual(cluster.discovery.settings.zones, ["us-central1-f"]);
  });
});
