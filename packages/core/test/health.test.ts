import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ContainerModule } from "inversify";
import {
  type CacheCluster,
  type CacheClusterConfig,
  ConfigToken,
  type DiscoveredPeer,
  type Discovery,
  DiscoveryToken,
  type Logger,
  MembershipToken,
  createCacheCluster,
} from "../src/index.js";
import { DirectMembership } from "../src/membership/direct-membership.js";
import { fakeHttpTransport } from "./status-fake-transport.js";
import { getText } from "./status-nodes.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A discovery that delivers `peers` once started, and explains itself like a real one that finds nothing. */
function fakeDiscovery(peers: DiscoveredPeer[], diagnosis?: string): ContainerModule {
  const listeners = new Set<(p: readonly DiscoveredPeer[]) => void>();
  let started = false;
  const discovery: Discovery & { diagnose(): string | undefined } = {
    peers: () => (started ? peers : []),
    onPeers: (l) => (listeners.add(l), () => listeners.delete(l)),
    start: async () => {
      started = true;
      for (const l of listeners) l(peers);
    },
    stop: async () => {},
    diagnose: () => diagnosis,
  };
  return new ContainerModule(({ bind }) => void bind(DiscoveryToken).toConstantValue(discovery));
}

/** A membership that reaches none of the peers it is given (as gossip does when their ports are closed). */
class UnreachableMembership extends DirectMembership {
  override async join(): Promise<number> {
    return 0;
  }
}
const unreachable = new ContainerModule(({ bind }) => {
  bind(MembershipToken).toResolvedValue((config: CacheClusterConfig) => UnreachableMembership.fromConfig(config), [ConfigToken]);
});

function recorder(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? "") };
}

async function node(modules: ContainerModule[], logger: Logger, joinTimeout = 60_000): Promise<{ cluster: CacheCluster; url: string }> {
  const cluster = await createCacheCluster(
    { cache: { port: 0, host: "127.0.0.1" }, cluster: { name: "n", advertise: "127.0.0.1", join_timeout: joinTimeout } },
    [fakeHttpTransport(), ...modules],
    { logger },
  );
  await cluster.listen();
  // The health checks are served by the admin listener.
  return { cluster, url: cluster.adminUrl ?? "" };
}

describe("/healthz and /readyz", () => {
  it("a node without discovery is live and ready (deliberately local), and neither once closed", async () => {
    const { cluster, url } = await node([], recorder());
    const live = await getText(`${url}/healthz`);
    assert.equal(live.status, 200);
    assert.deepEqual(JSON.parse(live.body), { status: "ok", reason: "live" });
    const ready = await getText(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.body), { status: "ok", reason: "local mode: no discovery configured" });
    assert.equal((await getText(`${url}/readyz`, { method: "HEAD" })).body, "");
    assert.equal((await getText(`${url}/readyz`, { method: "POST" })).status, 405);
    await cluster.close();
    assert.deepEqual(cluster.health(), { live: false, ready: false, reason: "stopped" });
  });

  it("a node whose discovery found only itself is ready", async () => {
    const { cluster, url } = await node([fakeDiscovery([{ host: "127.0.0.1", name: "n" }]), unreachable], recorder());
    try {
      const ready = await getText(`${url}/readyz`);
      assert.equal(ready.status, 200, ready.body);
      assert.match(ready.body, /alone: discovery found no other node/);
    } finally {
      await cluster.close();
    }
  });
});

describe("a node stuck in local mode", () => {
  it("is not ready while joining, then after join_timeout warns once with discovery's diagnosis and serves in local mode", async () => {
    const logger = recorder();
    const diagnosis = 'no instance matched: 12 RUNNING, 0 with tag "cache"; set [match] tags';
    const { cluster, url } = await node([fakeDiscovery([{ host: "10.0.0.9", cacheUrl: "http://10.0.0.9:9080" }], diagnosis), unreachable], logger, 400);
    try {
      const joining = await getText(`${url}/readyz`);
      assert.equal(joining.status, 503);
      assert.equal(JSON.parse(joining.body).reason, `joining: discovery: ${diagnosis}`);
      await sleep(700);
      const warnings = logger.warnings.filter((w) => w.includes("still in local mode"));
      assert.equal(warnings.length, 1, logger.warnings.join("\n"));
      assert.match(warnings[0]!, new RegExp(`loads every key itself: discovery: ${diagnosis.replace(/[[\]"]/g, ".")}`));
      assert.equal((await getText(`${url}/readyz`)).status, 200);
      await sleep(500);
      assert.equal(logger.warnings.filter((w) => w.includes("still in local mode")).length, 1, "said once");
    } finally {
      await cluster.close();
    }
  });

  it("without a diagnosis, names the peers discovery found that membership did not reach", async () => {
    const logger = recorder();
    const { cluster } = await node([fakeDiscovery([{ host: "10.0.0.9", cacheUrl: "http://10.0.0.9:9080" }]), unreachable], logger, 300);
    try {
      await sleep(600);
      const warnings = logger.warnings.filter((w) => w.includes("still in local mode"));
      assert.equal(warnings.length, 1, logger.warnings.join("\n"));
      assert.match(warnings[0]!, /membership reached none of the 1 peer\(s\) discovery found \(http:\/\/10\.0\.0\.9:9080\)/);
    } finally {
      await cluster.close();
    }
  });

  it("a node that joined says nothing", async () => {
    const logger = recorder();
    const { cluster } = await node([fakeDiscovery([{ host: "10.0.0.9", cacheUrl: "http://10.0.0.9:9080" }])], logger, 200);
    try {
      await sleep(400);
      assert.equal(cluster.ring.size, 2);
      assert.deepEqual(
        logger.warnings.filter((w) => w.includes("still in local mode")),
        [],
      );
    } finally {
      await cluster.close();
    }
  });
});
