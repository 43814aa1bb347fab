import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ContainerModule } from "inversify";
import { type Discovery, DiscoveryToken, createCacheCluster, silentLogger } from "../src/index.js";
import { renderStatusBody } from "../src/status/status-body.js";
import { fakeHttpTransport } from "./status-fake-transport.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const coreVersion = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** A discovery that failed once and says why it finds nobody. */
const troubledDiscovery = new ContainerModule(({ bind }) => {
  const discovery: Discovery & { diagnose(): string; lastError(): { message: string; at: number } } = {
    peers: () => [],
    onPeers: () => () => {},
    start: async () => {},
    stop: async () => {},
    diagnose: () => 'no instance matched: 3 RUNNING, 0 with tag "cache"',
    lastError: () => ({ message: "Compute API: 403 PERMISSION_DENIED", at: 1_700_000_000_000 }),
  };
  bind(DiscoveryToken).toConstantValue(discovery);
});

describe("the status page's operator fields", () => {
  it("shows version, config in effect with secrets redacted, discovery's problem and last error, departed members, and rates per second", async () => {
    const cluster = await createCacheCluster(
      { cache: { port: 0, host: "127.0.0.1" }, cluster: { name: "n", advertise: "127.0.0.1", join_timeout: 0 } },
      [fakeHttpTransport(), troubledDiscovery],
      { logger: silentLogger },
    );
    await cluster.listen();
    try {
      const group = cluster.group("g", { load: (k) => `v:${k}` });
      await cluster.membership.join([
        { host: "10.0.0.8", cacheUrl: "http://10.0.0.8:9080", name: "gone" },
        { host: "10.0.0.9", cacheUrl: "http://10.0.0.9:9080", name: "stays" },
      ]);
      await cluster.membership.join([{ host: "10.0.0.9", cacheUrl: "http://10.0.0.9:9080", name: "stays" }]);
      const first = cluster.status();
      assert.equal(first.rateWindowMs, null, "no rates before a window");
      for (let i = 0; i < 50; i++) await group.get(`k${i}`).catch(() => {});
      await sleep(1100);
      const s = cluster.status();

      assert.equal(s.node.version, coreVersion);
      assert.equal(s.node.nodeVersion, process.version);
      assert.equal(s.config.cache?.port, 0);
      assert.equal(s.config.cluster?.name, "n");
      assert.equal(s.components.discovery?.problem, 'no instance matched: 3 RUNNING, 0 with tag "cache"');
      assert.deepEqual(s.components.discovery?.lastError, { message: "Compute API: 403 PERMISSION_DENIED", at: 1_700_000_000_000 });
      assert.deepEqual(
        s.departed.map((d) => [d.id, d.state]),
        [["gone", "left"]],
      );
      assert.ok(s.rateWindowMs !== null && s.rateWindowMs >= 1000);
      const rate = s.groups[0]?.ratesPerSecond?.gets ?? 0;
      assert.ok(rate > 20 && rate <= 50, `gets/s ${rate}`);

      const html = renderStatusBody(s);
      for (const text of [
        "cachecluster " + coreVersion,
        "Config in effect",
        "[cluster] name",
        "Failed or left",
        "403 PERMISSION_DENIED",
        "no instance matched",
        "/s",
      ]) {
        assert.ok(html.includes(text.replaceAll('"', "&#34;")), `the page shows ${text}`);
      }
    } finally {
      await cluster.close();
    }
  });

  it("redacts secrets in the config it shows", async () => {
    const { configSection } = await import("../src/index.js");
    const { z } = await import("zod");
    const secret = configSection("vault", "test", { token: z.string().optional().describe("A secret.") }, { sensitive: ["token"] });
    const { definePlugin } = await import("../src/index.js");
    const plugin = definePlugin({ name: "test", config: [secret], load: () => {} });
    const cluster = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" }, vault: { token: "hunter2" } }, [plugin], { logger: silentLogger });
    cluster.config.section(secret);
    const s = cluster.status();
    assert.equal(s.config.vault?.token, "<redacted>");
    assert.doesNotMatch(renderStatusBody(s), /hunter2/);
  });
});
