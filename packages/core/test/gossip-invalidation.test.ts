import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PeerError, alwaysHot, silentLogger, type Logger, type PeerValue, type TransportClient } from "../src/index.js";
import { CacheGroup } from "../src/engine/group.js";
import { GossipInvalidation } from "../src/engine/gossip-invalidation.js";
import { decodeMessage, encodeGroup, encodeKey, encodeMessage } from "../src/engine/invalidation-codec.js";
import { RingPeerPicker } from "../src/engine/peer-picker.js";
import type { Clock } from "../src/interfaces/clock.js";
import { FakeGossip } from "./helpers/fake-broadcast.js";
import { ClusterNode } from "../src/cluster/cache-cluster.js";
import { parseConfig } from "../src/config/load-config.js";
import { storeFactoryOf } from "../src/cache/store-kinds.js";
import { DirectMembership } from "../src/membership/direct-membership.js";
import { ConfigError } from "../src/errors.js";
import type { Membership } from "../src/interfaces/membership.js";

const td = new TextDecoder();

/** A clock whose timers run when `run()` is called. */
function manualClock(): Clock & { run(): void } {
  let timers: (() => void)[] = [];
  return {
    now: () => 0,
    setTimeout: (fn) => timers.push(fn),
    clearTimeout: () => {},
    run() {
      const due = timers;
      timers = [];
      for (const fn of due) fn();
    },
  };
}

interface Node {
  readonly url: string;
  group: CacheGroup;
  readonly invalidation: GossipInvalidation;
  loads: number;
}

/**
 * `n` nodes, each with group "g" (every fetched value hot-cached), a ring of all of them, an in-memory transport
 * that calls the owner's group (counting HTTP removes), and gossip over a FakeGossip.
 */
function cluster(n: number, options: { maxBroadcastBytes?: number; logger?: Logger; value?: () => string } = {}) {
  const gossip = new FakeGossip();
  const clock = manualClock();
  const urls = Array.from({ length: n }, (_, i) => `http://n${i}`);
  const nodes = new Map<string, Node>();
  const httpRemoves: string[] = [];
  const httpSets: string[] = [];
  let delay: Promise<void> | undefined;
  let refuse = false;
  const client: TransportClient = {
    async fetch(peer, _group, key): Promise<PeerValue> {
      await delay;
      const got = await nodes.get(peer)!.group.serve(key);
      return got;
    },
    async remove(peer, _group, key) {
      httpRemoves.push(`${peer} ${key}`);
      if (refuse) throw new PeerError(peer, "the peer does not support remove/set", { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" });
      nodes.get(peer)!.group.removeLocal(key);
    },
    async set(peer, _group, key, value) {
      httpSets.push(`${peer} ${key}`);
      nodes.get(peer)!.group.setLocal(key, value);
    },
  };
  let version = 0;
  const valueOf = options.value ?? (() => `v${version}`);
  for (const url of urls) {
    const picker = new RingPeerPicker(url);
    picker.setPeers(urls);
    const membership = gossip.member(url, options.maxBroadcastBytes);
    const invalidation = new GossipInvalidation(membership, {
      group: (name) => (name === "g" ? node.group : undefined),
      clock,
      logger: options.logger ?? silentLogger,
    });
    invalidation.start();
    const node: Node = { url, invalidation, loads: 0, group: undefined as never };
    node.group = new CacheGroup(
      "g",
      {
        hotPolicy: alwaysHot,
        load: () => {
          node.loads++;
          return valueOf();
        },
      },
      { picker, client, peers: () => urls.filter((u) => u !== url), invalidator: invalidation },
    );
    nodes.set(url, node);
  }
  const ring = new RingPeerPicker(urls[0]!);
  ring.setPeers(urls);
  const ownerOf = (key: string) => nodes.get(ring.ring.get(key) ?? "")!;
  const hot = (node: Node) => node.group.cacheStats("hot").items;
  return {
    gossip,
    clock,
    nodes: [...nodes.values()],
    ownerOf,
    hot,
    httpRemoves,
    httpSets,
    bump: () => version++,
    slowFetches: (p: Promise<void> | undefined) => {
      delay = p;
    },
    refuseChanges: () => {
      refuse = true;
    },
    /** Run the flush timers and deliver every queued message (and the relays) until none is left. */
    spread: (reach?: (sender: number) => readonly number[]) => {
      let delivered = 0;
      for (;;) {
        clock.run();
        const n = gossip.deliver(reach);
        if (n === 0) return delivered;
        delivered += n;
      }
    },
  };
}

/** Every node but the owner gets `key`, so each holds a hot copy. */
async function warm(c: ReturnType<typeof cluster>, key: string): Promise<Node[]> {
  const others = c.nodes.filter((n) => n !== c.ownerOf(key));
  for (const n of others) await n.group.get(key);
  for (const n of others) assert.equal(n.group.peek(key) !== undefined, true);
  return others;
}

describe("gossiped invalidation", () => {
  it("remove asks the owner over HTTP, gossips one message for every other node, and every hot copy is dropped", async () => {
    const c = cluster(5);
    const others = await warm(c, "k");
    const origin = others[0]!;
    await origin.group.remove("k");
    assert.deepEqual(c.httpRemoves, [`${c.ownerOf("k").url} k`], "one HTTP request: the owner's");
    c.spread();
    assert.equal(c.gossip.members[c.nodes.indexOf(origin)]!.sent.length, 1, "one gossip message");
    for (const n of c.nodes) assert.equal(n.group.peek("k"), undefined, `${n.url} has no copy left`);
    assert.equal(
      others.reduce((sum, n) => sum + n.invalidation.stats().copiesDropped, 0),
      others.length - 1,
    );
    assert.deepEqual(origin.invalidation.stats().messagesSent, 1);
  });

  it("after set, every node that reads the key gets the new value: hot copies are dropped and re-fetched from the owner", async () => {
    const c = cluster(5);
    const others = await warm(c, "k");
    await others[1]!.group.set("k", "new");
    assert.deepEqual(c.httpSets, [`${c.ownerOf("k").url} k`]);
    assert.deepEqual(c.httpRemoves, []);
    c.spread();
    for (const n of c.nodes) assert.equal(td.decode(await n.group.get("k")), "new", n.url);
  });

  it("a message never drops the owner's main entry, so a late or repeated invalidation cannot lose a newer set", async () => {
    const c = cluster(4);
    const others = await warm(c, "k");
    await others[0]!.group.set("k", "v1");
    const stale = c.gossip.members.find((m) => m.name === others[0]!.url)!.queue.map((q) => q.payload);
    c.spread();
    await others[1]!.group.set("k", "v2");
    c.spread();
    // The first set's message arrives again, late.
    for (const m of c.gossip.members) for (const payload of stale) m.receive(payload, others[0]!.url);
    assert.equal(td.decode(c.ownerOf("k").group.peek("k")), "v2");
    for (const n of c.nodes) assert.equal(td.decode(await n.group.get("k")), "v2", n.url);
  });

  it("drops a main copy a node kept from when it owned the key", async () => {
    const c = cluster(3);
    const owner = c.ownerOf("k");
    const other = c.nodes.find((n) => n !== owner)!;
    // A value this node loaded while it owned the key (before the ring changed): served here from main.
    other.group.setLocal("k", { value: new TextEncoder().encode("old") });
    await c.nodes.find((n) => n !== owner && n !== other)!.group.remove("k");
    c.spread();
    assert.equal(other.group.peek("k"), undefined);
  });

  it("a fetch in flight when the invalidation arrives returns its value but does not keep it in the hot cache", async () => {
    const c = cluster(3);
    const owner = c.ownerOf("k");
    const [reader, writer] = c.nodes.filter((n) => n !== owner) as [Node, Node];
    let release!: () => void;
    c.slowFetches(new Promise<void>((r) => (release = r)));
    const reading = reader.group.get("k");
    await writer.group.remove("k");
    c.spread();
    release();
    c.slowFetches(undefined);
    await reading;
    assert.equal(reader.group.peek("k"), undefined, "no hot copy of a value fetched across an invalidation");
    assert.equal(c.hot(reader), 0);
  });

  it("queues the invalidation only once the owner answered, so a node that re-fetches on receipt sees the change", async () => {
    const c = cluster(3);
    const owner = c.ownerOf("k");
    const [reader, writer] = c.nodes.filter((n) => n !== owner) as [Node, Node];
    await reader.group.get("k");
    c.bump();
    const writerGossip = c.gossip.members.find((m) => m.name === writer.url)!;
    const removing = writer.group.remove("k");
    c.clock.run();
    assert.equal(writerGossip.sent.length, 0, "nothing gossiped before the owner answered");
    await removing;
    c.spread();
    assert.equal(td.decode(await reader.group.get("k")), "v1");
  });

  it("gossips even when the owner refuses the change, then reports the owner's error", async () => {
    const c = cluster(3);
    const owner = c.ownerOf("k");
    const [, writer] = c.nodes.filter((n) => n !== owner) as [Node, Node];
    c.refuseChanges();
    await assert.rejects(writer.group.remove("k"), { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" });
    c.clock.run();
    assert.equal(writer.invalidation.stats().keysSent, 1);
  });

  it("packs the keys invalidated in one turn into as few messages as fit maxBroadcastBytes; one key travels under a name", async () => {
    const c = cluster(3, { maxBroadcastBytes: 200 });
    const node = c.nodes[0]!;
    const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
    await Promise.all(keys.map((k) => node.group.remove(k)));
    c.clock.run();
    const sent = c.gossip.members[0]!.sent;
    // 690 bytes of keys (1 length byte + "key-N"), at most 19 + 1 bytes of header and count per message: 4 messages.
    assert.equal(sent.length, 4);
    for (const [i, { payload, key }] of sent.entries()) {
      assert.ok(payload.length <= 200);
      if (i < sent.length - 1) assert.ok(payload.length > 200 - 7 - 3, "full (but for the 3 bytes a short sequence number saves) before the next one starts");
      assert.equal(key, undefined, "a message of several keys has no name");
    }
    const decoded = sent.flatMap(({ payload }) => {
      const m = decodeMessage(payload);
      return m.kind === "invalidate" ? m.keys : [];
    });
    assert.deepEqual(decoded.sort(), keys.sort());
    await node.group.remove("lonely");
    c.clock.run();
    assert.match(sent.at(-1)!.key!, /^cachecluster\/invalidate\/[0-9a-f]{16}\/g\/lonely$/);
  });

  it("a newer invalidation of a key replaces the queued one instead of adding another", async () => {
    const c = cluster(3);
    const node = c.nodes[0]!;
    for (let i = 0; i < 10; i++) {
      await node.group.remove("k");
      c.clock.run();
    }
    assert.equal(c.gossip.members[0]!.queue.length, 1);
  });

  it("a key too long for one message is invalidated over HTTP, at every peer", async () => {
    const c = cluster(4, { maxBroadcastBytes: 64 });
    const key = "x".repeat(100);
    await c.nodes[0]!.group.remove(key);
    c.clock.run();
    assert.equal(c.gossip.members[0]!.sent.length, 0);
    assert.equal(c.httpRemoves.length, 3);
    assert.equal(c.nodes[0]!.invalidation.stats().tooLong, 1);
  });

  it("counts and logs malformed and unknown-version messages, never throws, and leaves foreign messages to the application", () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (_fields: unknown, message?: string) => void warnings.push(String(message)) };
    const c = cluster(2, { logger });
    const target = c.gossip.members[1]!;
    const inv = c.nodes[1]!.invalidation;
    target.receive(Uint8Array.of(0xff, 0x63, 0x63, 1, 1, 5, 0x67), "n0");
    target.receive(Uint8Array.of(0xff, 0x63, 0x63, 1, 1, 1, 0x67, 1, 9), "n0");
    target.receive(Uint8Array.of(0xff, 0x63, 0x63, 9, 1), "n0");
    target.receive(new TextEncoder().encode("an application's message"), "n0");
    target.receive(encodeMessage(encodeGroup("other-group"), [encodeKey("k")]), "n0");
    const s = inv.stats();
    assert.deepEqual([s.malformed, s.unsupported, s.foreign, s.unknownGroup, s.messagesReceived], [2, 1, 1, 1, 1]);
    assert.equal(warnings.length, 2, "one warning per kind per minute");
    assert.match(warnings[0]!, /malformed invalidation message/);
    assert.match(warnings[1]!, /format version 9/);
  });

  it("every node relays a message once, so it reaches all when the author's gossip reaches one member", async () => {
    const c = cluster(8);
    const others = await warm(c, "k");
    await others[0]!.group.remove("k");
    // Each node's gossip reaches only the next node (memberlist does not relay user messages by itself).
    c.spread((sender) => [(sender + 1) % 8]);
    for (const n of c.nodes) assert.equal(n.group.peek("k"), undefined, n.url);
    const stats = c.nodes.map((n) => n.invalidation.stats());
    assert.equal(
      stats.reduce((sum, s) => sum + s.relayed, 0),
      7,
      "each other node relayed it once",
    );
    assert.equal(
      stats.reduce((sum, s) => sum + s.duplicates, 0),
      1,
      "the author ignored its own message coming back",
    );
  });

  it("applies a message once: later copies are counted as duplicates", () => {
    const c = cluster(2);
    const payload = encodeMessage(encodeGroup("g", Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), 7), [encodeKey("k")]);
    const target = c.gossip.members[1]!;
    target.receive(payload, "x");
    target.receive(payload, "y");
    const s = c.nodes[1]!.invalidation.stats();
    assert.deepEqual([s.messagesReceived, s.duplicates, s.relayed], [1, 1, 1]);
  });

  it("stop sends what is queued and stops listening", async () => {
    const c = cluster(2);
    await c.nodes[0]!.group.remove("k");
    c.nodes[0]!.invalidation.stop();
    assert.equal(c.gossip.members[0]!.sent.length, 1);
    assert.equal(c.gossip.members[0]!.listeners, 0);
  });
});

describe("[cache] invalidation", () => {
  const node = (invalidation: "auto" | "gossip" | "http", membership: Membership) =>
    new ClusterNode({ config: parseConfig({ cache: { port: 0, invalidation } }), logger: silentLogger, membership, storeFactory: storeFactoryOf("lru") });
  const direct = () => new DirectMembership({ cachePort: 9080, clusterPort: 9999 });

  it("auto gossips when the membership can broadcast, and uses the HTTP fan-out when it cannot", () => {
    assert.ok(node("auto", new FakeGossip().member("a")).invalidation instanceof GossipInvalidation);
    assert.equal(node("auto", direct()).invalidation, undefined);
  });

  it("http keeps the HTTP fan-out even with a membership that can broadcast", () => {
    assert.equal(node("http", new FakeGossip().member("a")).invalidation, undefined);
  });

  it("gossip with a membership that cannot broadcast is a ConfigError naming the key", () => {
    assert.throws(
      () => node("gossip", direct()),
      (error: unknown) => error instanceof ConfigError && /\[cache\] invalidation: "gossip"/.test(error.message),
    );
  });

  it("a cluster listens to the membership's messages while it runs, and exports the counters", async () => {
    const membership = new FakeGossip().member("a");
    const cluster = node("auto", membership);
    await cluster.listen({ admin: false });
    assert.equal(membership.listeners, 1);
    membership.receive(Uint8Array.of(0xff, 0x63, 0x63, 1, 1), "b");
    assert.match(await cluster.metrics.registry.metrics(), /cachecluster_invalidation_malformed_total 1/);
    await cluster.close();
    assert.equal(membership.listeners, 0);
  });
});
