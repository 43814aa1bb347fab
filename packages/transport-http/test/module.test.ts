import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ConfigError, TransportToken, configTable, createCacheCluster, parseConfigText } from "@cachecluster/core";
import { Container } from "inversify";
import { HttpTransport, httpTransport, httpTransportOptions, transportCacheKeys } from "../src/index.js";

describe("httpTransport() module and options", () => {
  it("binds TransportToken to an HttpTransport whose timeout is [cache] timeout", async () => {
    const cluster = await createCacheCluster({ cache: { timeout: 1234 } }, [httpTransport()]);
    assert.ok(cluster.transport instanceof HttpTransport);
    assert.equal(cluster.transport.options.timeout, 1234);
  });

  it("an explicit timeout wins over the config's", async () => {
    const cluster = await createCacheCluster({ cache: { timeout: 1234 } }, [httpTransport({ timeout: 50 })]);
    assert.equal((cluster.transport as HttpTransport).options.timeout, 50);
  });

  it("resolves one transport per container (singleton)", async () => {
    const container = new Container();
    await createCacheCluster({}, [httpTransport()], { container });
    assert.equal(container.get(TransportToken), container.get(TransportToken));
  });

  it("bad options are refused at once with a ConfigError naming the field and the expectation", () => {
    assert.throws(
      () => httpTransport({ timeout: -1 }),
      (error: unknown) => error instanceof ConfigError && /httpTransport options\.timeout: expected timeout to be at least 1 ms/.test(error.message),
    );
    assert.throws(
      () => new HttpTransport({ basePath: "nope" }),
      (e: unknown) => e instanceof ConfigError && /basePath/.test(e.message),
    );
    assert.throws(() => new HttpTransport({ bogus: 1 } as never), ConfigError);
  });

  it("defaults are golang/groupcache's base path and bounded sizes and timeouts", () => {
    const o = httpTransportOptions.parse({});
    assert.equal(o.basePath, "/_groupcache/");
    assert.ok(o.maxResponseBytes > 0 && o.maxSetBytes > 0 && o.headersTimeout > 0 && o.requestTimeout >= o.headersTimeout);
  });

  it("the README's options table lists exactly the schema's options, with their defaults", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const table = readme.slice(readme.indexOf("## Options"));
    const rows = [...table.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);
    const defaults = httpTransportOptions.parse({}) as Record<string, unknown>;
    assert.deepEqual(rows.map(([name]) => name).sort(), Object.keys(httpTransportOptions.shape).sort());
    for (const [name, documented] of rows) {
      if (defaults[name] === undefined) continue; // no default: the row says what happens instead
      assert.ok(documented.includes(JSON.stringify(defaults[name])), `${name}: README says ${documented}, schema default ${JSON.stringify(defaults[name])}`);
    }
  });

  it("[cache] secret_keys, max_set_bytes and max_concurrent_sets configure the transport; options in code win", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const plugins = [httpTransport({ maxConcurrentSets: 3 })];
    const config = parseConfigText(`[cache]\nsecret_keys = ${key}, ${key}\nmax_set_bytes = 2MiB\nmax_concurrent_sets = 5\n`, { plugins });
    const transport = (await createCacheCluster(config, plugins)).transport as HttpTransport;
    assert.deepEqual(transport.options.secretKeys, [key, key]);
    assert.equal(transport.options.maxSetBytes, 2 * 1024 * 1024);
    assert.equal(transport.options.maxConcurrentSets, 3);
  });

  it("a bad [cache] secret_keys is a ConfigError naming the file, the key and what a key looks like; its value is never shown", async () => {
    const plugins = [httpTransport()];
    assert.throws(
      () => parseConfigText("[cache]\nsecret_keys = c2hvcnQ=\n", { plugins, file: "node.ini" }),
      (e: unknown) => e instanceof ConfigError && /node\.ini:2 \[cache\] secret_keys\[0\]: expected base64 of a 16 to 64 byte key/.test(e.message),
    );
    const key = Buffer.alloc(32, 7).toString("base64");
    const config = parseConfigText(`[cache]\nsecret_keys = ${key}\n`, { plugins });
    assert.equal(config.effective().cache?.secret_keys, "<redacted>");
  });

  it("the README's config table is the one generated from the [cache] keys this plugin declares", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const table = configTable([transportCacheKeys]);
    assert.ok(readme.includes(table), `packages/transport-http/README.md must contain, verbatim:\n${table}`);
  });
});
