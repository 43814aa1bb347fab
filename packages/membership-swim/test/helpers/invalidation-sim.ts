// A cluster of cache groups whose hot-cache invalidations travel on SWIM gossip over the in-memory network, in
// virtual time: what test/gossip-invalidation.test.ts checks at 50 members and bench/gossip-invalidation.mjs
// measures at 1,000. Core's engine is used as it is (internals by path); peer requests are in-memory calls.
import type { PeerValue, TransportClient } from "@cachecluster/core";
import { alwaysHot, silentLogger } from "@cachecluster/core";
import type * as GroupModule from "../../../core/dist/src/engine/group.js";
import type * as InvalidationModule from "../../../core/dist/src/engine/gossip-invalidation.js";
import type * as PickerModule from "../../../core/dist/src/engine/peer-picker.js";
import { Sim, type SimMember } from "./sim.js";

// Core's engine internals are not exported; the types come from core's build by path (from this source file),
// the classes from the same files at run time (from this file's build, in dist/test/helpers).
const internal = (path: string): Promise<unknown> => import(new URL(`../../../../core/dist/src/engine/${path}`, import.meta.url).href);
const { CacheGroup } = (await internal("group.js")) as typeof GroupModule;
const { GossipInvalidation } = (await internal("gossip-invalidation.js")) as typeof InvalidationModule;
const { RingPeerPicker } = (await internal("peer-picker.js")) as typeof PickerModule;
type CacheGroup = GroupModule.CacheGroup;
type GossipInvalidation = InvalidationModule.GossipInvalidation;
type RingPeerPicker = PickerModule.RingPeerPicker;

export interface SimNode {
  readonly member: SimMember;
  readonly url: string;
  readonly group: CacheGroup;
  readonly invalidation: GossipInvalidation;
}

export interface RemoveTrial {
  /** ms of virtual time from the remove's call until every node had dropped its copy (undefined: not within maxMs). */
  readonly allDroppedMs: number | undefined;
  /** Nodes that still held a copy at the end of the wait. */
  readonly holding: number;
  /** Gets, one on every node after the window, that returned the value from before the change. */
  readonly staleReads: number;
  /** UDP packets and bytes all members sent beyond the steady state, over the measured span (until the queues drained). */
  readonly extraPackets: number;
  readonly extraBytes: number;
  /** HTTP requests the change made (the owner's only, with gossip). */
  readonly httpRequests: number;
}

const GROUP = "g";

/** `n` SWIM members on one in-memory network (a converged cluster), each with group "g" hot-caching every fetched value. */
export async function invalidationCluster(n: number, seed: number): Promise<InvalidationSim> {
  const sim = new Sim({ seed });
  const members = await sim.settled(n);
  const sims = new InvalidationSim(sim, members);
  await sim.scheduler.runFor(2000);
  return sims;
}

export class InvalidationSim {
  readonly sim: Sim;
  readonly nodes: SimNode[] = [];
  readonly #byUrl = new Map<string, SimNode>();
  readonly #ring: RingPeerPicker;
  /** The loader's answer: changes with each set/remove, so a stale copy is told from a fresh one. */
  version = 0;
  httpRequests = 0;

  constructor(sim: Sim, members: readonly SimMember[]) {
    this.sim = sim;
    const urls = members.map((m) => m.membership.self().cacheUrl);
    this.#ring = new RingPeerPicker(urls[0]!);
    this.#ring.setPeers(urls);
    const client: TransportClient = {
      fetch: async (peer, _group, key): Promise<PeerValue> => this.#node(peer).group.serve(key),
      remove: async (peer, _group, key) => {
        this.httpRequests++;
        this.#node(peer).group.removeLocal(key);
      },
      set: async (peer, _group, key, value) => {
        this.httpRequests++;
        this.#node(peer).group.setLocal(key, value);
      },
    };
    for (const [i, member] of members.entries()) {
      const url = urls[i]!;
      const picker = new RingPeerPicker(url);
      picker.setPeers(urls);
      const origin = new Uint8Array(8);
      new DataView(origin.buffer).setUint32(4, i);
      const node: { -readonly [K in keyof SimNode]: SimNode[K] } = { member, url, group: undefined as never, invalidation: undefined as never };
      node.invalidation = new GossipInvalidation(member.membership, {
        group: (name) => (name === GROUP ? node.group : undefined),
        clock: member.host.clock,
        logger: silentLogger,
        origin,
      });
      node.invalidation.start();
      node.group = new CacheGroup(
        GROUP,
        { hotPolicy: alwaysHot, load: () => `v${this.version}` },
        { picker, client, peers: () => urls.filter((u) => u !== url), invalidator: node.invalidation },
      );
      this.nodes.push(node);
      this.#byUrl.set(url, node);
    }
  }

  get scheduler() {
    return this.sim.scheduler;
  }

  ownerOf(key: string): SimNode {
    return this.#node(this.#ring.ring.get(key)!);
  }

  /** Every node gets `key`, so every node but the owner holds a hot copy. */
  async warm(key: string): Promise<void> {
    await this.scheduler.settle(Promise.all(this.nodes.map((n) => n.group.get(key))));
  }

  holding(key: string): number {
    const owner = this.ownerOf(key);
    return this.nodes.filter((n) => n !== owner && n.group.peek(key) !== undefined).length;
  }

  /** Packets and bytes sent by all members so far. */
  traffic(): { packets: number; bytes: number } {
    let packets = 0;
    let bytes = 0;
    for (const n of this.nodes) {
      const s = n.member.membership.stats();
      packets += s.packetsSent;
      bytes += s.bytesSent;
    }
    return { packets, bytes };
  }

  /** Packets and bytes all members send in `ms` of virtual time with nothing to invalidate. */
  async steadyTraffic(ms: number): Promise<{ packets: number; bytes: number }> {
    const before = this.traffic();
    await this.scheduler.runFor(ms);
    const after = this.traffic();
    return { packets: after.packets - before.packets, bytes: after.bytes - before.bytes };
  }

  /**
   * `origin` changes `key` (remove, or set when `value` is given) after every node warmed it; runs virtual time
   * until every node dropped its copy (or `maxMs`), then `spanMs` in all (for the traffic, against `steady`
   * measured over the same span), then reads the key on every node.
   */
  async change(
    origin: SimNode,
    key: string,
    options: { value?: string; maxMs: number; spanMs: number; steady: { packets: number; bytes: number } },
  ): Promise<RemoveTrial> {
    await this.warm(key);
    const before = this.traffic();
    const http = this.httpRequests;
    const start = this.scheduler.now();
    this.version++;
    const fresh = options.value ?? `v${this.version}`;
    await this.scheduler.settle(options.value === undefined ? origin.group.remove(key) : origin.group.set(key, options.value));
    const done = await this.scheduler.runUntil(() => this.holding(key) === 0, options.maxMs, 5);
    const allDroppedMs = done ? this.scheduler.now() - start : undefined;
    const holding = this.holding(key);
    const rest = start + options.spanMs - this.scheduler.now();
    if (rest > 0) await this.scheduler.runFor(rest);
    const after = this.traffic();
    const reads = await this.scheduler.settle(Promise.all(this.nodes.map((n) => n.group.getString(key))));
    return {
      allDroppedMs,
      holding,
      staleReads: reads.filter((v) => v !== fresh).length,
      extraPackets: after.packets - before.packets - options.steady.packets,
      extraBytes: after.bytes - before.bytes - options.steady.bytes,
      httpRequests: this.httpRequests - http,
    };
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) n.invalidation.stop();
    await this.sim.stopAll();
  }

  #node(url: string): SimNode {
    const node = this.#byUrl.get(url);
    if (node === undefined) throw new Error(`no node ${url}`);
    return node;
  }
}
