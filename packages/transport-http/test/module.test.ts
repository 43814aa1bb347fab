import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ConfigError, TransportToken, createCacheCluster } from "@cachecluster/core";
import { Container } from "inversify";
import { HttpTransport, httpTransport, httpTransportOptions } from "../src/index.js";

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
      assert.ok(documented.includes(JSON.stringify(defaults[name])), `${name}: README says ${documented}, schema default ${JSON.stringify(defaults[name])}`);
    }
  });
});
