import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Container, ContainerModule } from "inversify";
import {
  DiscoveryToken,
  MembershipToken,
  StaticDiscovery,
  TransportToken,
  bindCore,
  bindDefaults,
  createCacheCluster,
  parseConfig,
  resolveCluster,
  staticDiscovery,
  type Discovery,
  type ListenOptions,
  type Membership,
  type PeerRequestHandler,
  type Transport,
  ConfigError,
  configSection,
  configValue,
  definePlugin,
} from "../src/index.js";
import { ClusterNode } from "../src/cluster/cache-cluster.js";
import { parsePeer } from "../src/discovery/static-discovery.js";
import { DirectMembership } from "../src/membership/direct-membership.js";

/** Records lifecycle calls of fake components into one shared log. */
function fakeTransport(log: string[]): Transport {
  return {
    client: {
      fetch: () => Promise.reject(new Error("unused")),
      remove: async () => {},
      set: async () => {},
    },
    start: async () => void log.push("transport.start"),
    stop: async () => void log.push("transport.stop"),
    listen: async (_h: PeerRequestHandler, o: ListenOptions) => {
      log.push(`transport.listen:${o.port}`);
      return { url: "http://127.0.0.1:4321", port: 4321 };
    },
  };
}

describe("createCacheCluster", () => {
  it("serves gets in local mode before listen()", async () => {
    const cluster = await createCacheCluster({ cache: { port: 0 } });
    const g = cluster.group("g", { load: (k) => `v:${k}` });
    assert.equal(await g.getString("a"), "v:a");
    assert.equal(cluster.ring.get("a"), cluster.local.cacheUrl);
  });

  it("starts transport, discovery, membership in order and stops them in reverse; close twice is safe", async () => {
    const log: string[] = [];
    const discovery: Discovery = {
      peers: () => [],
      onPeers: () => () => {},
      start: async () => void log.push("discovery.start"),
      stop: async () => void log.push("discovery.stop"),
    };
    const module = new ContainerModule(({ bind }) => {
      bind(TransportToken).toConstantValue(fakeTransport(log));
      bind(DiscoveryToken).toConstantValue(discovery);
    });
    const cluster = await createCacheCluster({ cache: { port: 0 } }, [module]);
    await cluster.listen();
    assert.deepEqual(log, ["transport.start", "transport.listen:0", "discovery.start"]);
    assert.equal(cluster.local.cacheUrl.endsWith(":4321"), true, "self URL takes the bound port");
    await cluster.close();
    await cluster.close();
    assert.deepEqual(log.slice(3), ["discovery.stop", "transport.stop"]);
  });

  it("builds the ring from the peers static discovery names", async () => {
    const cluster = await createCacheCluster({ cache: { port: 0, self: "http://127.0.0.1:9001" } }, [
      staticDiscovery(["http://127.0.0.1:9002", "http://127.0.0.1:9003"]),
    ]);
    await cluster.listen();
    assert.deepEqual(cluster.ring.peers, ["http://127.0.0.1:9001", "http://127.0.0.1:9002", "http://127.0.0.1:9003"]);
    assert.deepEqual(
      cluster.events().map((e) => `${e.type} ${e.member.cacheUrl}`),
      ["join http://127.0.0.1:9002", "join http://127.0.0.1:9003"],
    );
    await cluster.close();
  });

  it("reads CACHECLUSTER_PEERS when no discovery is bound", () => {
    const container = new Container();
    bindCore(container, parseConfig({ cache: { port: 0 } }));
    bindDefaults(container, { CACHECLUSTER_PEERS: "http://127.0.0.1:1,127.0.0.1:9999" });
    const discovery = container.get(DiscoveryToken);
    assert.ok(discovery instanceof StaticDiscovery);
    assert.ok(container.get(MembershipToken) instanceof DirectMembership);
  });

  it("can be assembled by hand on a plain inversify container", async () => {
    const container = new Container({ defaultScope: "Singleton" });
    bindCore(container, parseConfig({ cache: { port: 0, self: "http://10.0.0.1:9080" } }));
    container.bind(DiscoveryToken).toConstantValue(new StaticDiscovery(["http://10.0.0.2:9080"]));
    bindDefaults(container, {});
    const cluster = resolveCluster(container);
    assert.ok(cluster instanceof ClusterNode);
    assert.equal(cluster.local.cacheUrl, "http://10.0.0.1:9080");
    await cluster.listen();
    assert.equal(cluster.members().length, 2);
    await cluster.close();
  });

  it("checks the config against the plugins it is given: a section no plugin declares is an error, all problems at once", async () => {
    const gossip = definePlugin({
      name: "gossip",
      config: [configSection("cluster", "gossip", { heartbeat: configValue.milliseconds().default(1000).describe("period") })],
      load() {},
    });
    // Plain objects, not literals: the config types know only core's keys until a plugin augments them.
    const withMatch = { cache: { port: 0 }, cluster: { port: 0, heartbeat: 5 }, match: { zone: "x" } };
    const withHeartbeat = { cache: { port: 0 }, cluster: { port: 0, heartbeat: 5 } };
    await assert.rejects(createCacheCluster(withMatch), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues, [
        'config cluster.heartbeat: unknown key "heartbeat" in [cluster]; known keys: port, host, name, advertise, join_timeout',
        "config match: unknown section [match]; known sections: [cache], [cluster], [admin]",
      ]);
      return true;
    });
    const cluster = await createCacheCluster(withHeartbeat, [gossip]);
    assert.deepEqual(cluster.config.section(gossip.config[0]!), { heartbeat: 5 });
  });

  it("checks the config when a hand-assembled container is resolved, with the declarations its plugins bound", () => {
    const container = new Container({ defaultScope: "Singleton" });
    const input = { cluster: { port: 0, heartbeat: "fast" } };
    bindCore(container, parseConfig(input));
    container.load(
      definePlugin({ name: "gossip", config: [configSection("cluster", "gossip", { heartbeat: configValue.milliseconds().describe("period") })], load() {} }),
    );
    bindDefaults(container, {});
    assert.throws(() => resolveCluster(container), {
      code: "CACHECLUSTER_CONFIG_INVALID",
      message: /config cluster\.heartbeat: expected a duration in milliseconds, got "fast"/,
    });
  });

  it("refuses a second group of the same name", async () => {
    const cluster = await createCacheCluster({ cache: { port: 0 } });
    cluster.group("g", { load: () => "" });
    assert.throws(() => cluster.group("g", { load: () => "" }), { code: "CACHECLUSTER_GROUP_EXISTS" });
  });

  it("answers peers for an unknown group with CACHECLUSTER_NO_SUCH_GROUP (404 on the wire)", async () => {
    const cluster = await createCacheCluster({ cache: { port: 0 } });
    await assert.rejects(cluster.peerHandler.get("nope", "k"), { code: "CACHECLUSTER_NO_SUCH_GROUP", message: "no such group: nope" });
  });

  it("stops what started when listen() fails half way, and reports the failure", async () => {
    const log: string[] = [];
    const failing: Membership = {
      self: () => ({ id: "n", address: "", cacheUrl: "", state: "alive", incarnation: 0 }),
      members: () => [],
      join: async () => 0,
      leave: async () => void log.push("membership.leave"),
      onEvent: () => () => {},
      start: async () => {
        throw new Error("port in use");
      },
      stop: async () => void log.push("membership.stop"),
    };
    const module = new ContainerModule(({ bind }) => {
      bind(TransportToken).toConstantValue(fakeTransport(log));
      bind(MembershipToken).toConstantValue(failing);
    });
    const cluster = await createCacheCluster({ cache: { port: 0 } }, [module]);
    await assert.rejects(cluster.listen(), /port in use/);
    assert.ok(log.includes("transport.stop"));
  });
});

describe("parsePeer", () => {
  it("reads URLs, host:port, [v6]:port and bare hosts", () => {
    assert.deepEqual(parsePeer("http://127.0.0.1:9080/"), { host: "127.0.0.1", cacheUrl: "http://127.0.0.1:9080" });
    assert.deepEqual(parsePeer("127.0.0.1:9999"), { host: "127.0.0.1", clusterPort: 9999 });
    assert.deepEqual(parsePeer("[::1]:9999"), { host: "::1", clusterPort: 9999 });
    assert.deepEqual(parsePeer("node-a"), { host: "node-a" });
  });

  it("rejects malformed entries with a clear error", () => {
    for (const bad of ["", "a:b:c", "host:99999", "http://"]) {
      assert.throws(() => parsePeer(bad), { code: "CACHECLUSTER_INVALID_ARGUMENT" }, bad);
    }
  });
});
