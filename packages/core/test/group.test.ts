import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LruStore, PeerError, alwaysHot, neverHot, oneIn, type PeerCallOptions, type PeerValue, type TransportClient } from "../src/index.js";
import { CacheGroup as Group } from "../src/engine/group.js";
import { RingPeerPicker } from "../src/engine/peer-picker.js";

const te = new TextEncoder();
const td = new TextDecoder();
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function localGroup(load: (key: string) => unknown, extra: Partial<ConstructorParameters<typeof Group>[1]> = {}) {
  return new Group("g", { load: load as never, ...extra }, { picker: new RingPeerPicker("http://self") });
}

/** A transport client that records calls and answers from a map, or fails. */
class FakeClient implements TransportClient {
  fetches: string[] = [];
  removes: string[] = [];
  sets: string[] = [];
  constructor(readonly answer: (peer: string, key: string) => PeerValue | Error) {}
  async fetch(peer: string, group: string, key: string): Promise<PeerValue> {
    this.fetches.push(`${peer} ${group} ${key}`);
    await tick();
    const a = this.answer(peer, key);
    if (a instanceof Error) throw a;
    return a;
  }
  async remove(peer: string, group: string, key: string): Promise<void> {
    this.removes.push(`${peer} ${group} ${key}`);
  }
  async set(peer: string, group: string, key: string): Promise<void> {
    this.sets.push(`${peer} ${group} ${key}`);
  }
}

/** Counts the AbortControllers whose signal is read (Node makes an AbortController's signal on first read). */
function countAbortSignals(): { count: number; restore: () => void } {
  const descriptor = Object.getOwnPropertyDescriptor(AbortController.prototype, "signal") as PropertyDescriptor;
  const counter = { count: 0, restore: () => Object.defineProperty(AbortController.prototype, "signal", descriptor) };
  const seen = new WeakSet<AbortController>();
  Object.defineProperty(AbortController.prototype, "signal", {
    ...descriptor,
    get(this: AbortController) {
      if (!seen.has(this)) {
        seen.add(this);
        counter.count++;
      }
      return (descriptor.get as () => AbortSignal).call(this);
    },
  });
  return counter;
}

/** A picker where every key is owned by the remote peer. */
const remotePicker = { pickPeer: () => "http://owner" };

describe("Group", () => {
  it("a key is loaded once under 1,000 concurrent gets in one process", async () => {
    let loads = 0;
    const g = localGroup(async (k) => {
      loads++;
      await tick(5);
      return `v-${k}`;
    });
    const got = await Promise.all(Array.from({ length: 1000 }, () => g.get("hot")));
    assert.equal(loads, 1);
    for (const v of got) assert.equal(td.decode(v), "v-hot");
    assert.equal(g.stats.gets, 1000);
    assert.equal(g.stats.loadsDeduped, 1);
    assert.equal(g.stats.localLoads, 1);
    assert.equal(g.stats.loads, 1000);
  });

  it("serves later gets from the main cache without loading again", async () => {
    let loads = 0;
    const g = localGroup((k) => {
      loads++;
      return te.encode(k);
    });
    await g.get("a");
    await g.get("a");
    assert.equal(loads, 1);
    assert.equal(g.stats.cacheHits, 1);
    assert.equal(g.cacheStats("main").items, 1);
  });

  it("returns the cached bytes without copying on a hit (shared like golang's ByteView)", async () => {
    for (const size of [3, 100_000]) {
      const g = localGroup(() => "x".repeat(size));
      await g.get("k");
      const a = await g.get("k");
      assert.equal(await g.get("k"), a);
      assert.equal(g.peek("k"), a);
    }
  });

  it("a hit allocates no new promise: repeated gets of a cached key return the same settled promise", async () => {
    const g = localGroup(() => "v");
    await g.get("k");
    const a = g.get("k");
    assert.equal(g.get("k"), a);
    assert.equal(td.decode(await a), "v");
    await g.set("k", "w");
    const b = g.get("k");
    assert.notEqual(b, a, "a changed entry gets a new promise");
    assert.equal(g.get("k"), b);
    assert.equal(td.decode(await b), "w");
    assert.equal(td.decode(await a), "v", "the old promise still resolves to the old bytes");
  });

  it("peek answers hits synchronously and never loads", async () => {
    let loads = 0;
    const g = localGroup(() => (loads++, "v"));
    assert.equal(g.peek("k"), undefined);
    assert.equal(loads, 0);
    await g.get("k");
    assert.equal(td.decode(g.peek("k")), "v");
    assert.equal(g.stats.gets, 3);
    assert.equal(g.stats.cacheHits, 1);
  });

  it("copies a loader result that is a view into a larger buffer, so the cache does not pin that buffer", async () => {
    // The value is copied into a slab (or, larger than the slabs take, into a buffer of its own).
    for (const [length, big] of [3, 5000].flatMap((n) => [[n, new Uint8Array(16384).fill(65)] as const, [n, Buffer.alloc(16384, 65)] as const])) {
      const g = localGroup(() => big.subarray(10, 10 + length));
      assert.equal((await g.get("k")).byteLength, length);
      const cached = await g.get("k");
      assert.notEqual(cached.buffer, big.buffer);
      big.fill(0);
      assert.equal(td.decode(await g.get("k")), "A".repeat(length));
    }
  });

  it("does not cache loader errors, and a throwing loader never breaks the group", async () => {
    let calls = 0;
    const g = localGroup((k) => {
      calls++;
      if (k === "sync") throw new Error("boom sync");
      if (calls < 3) return Promise.reject(new Error("boom async"));
      return "ok";
    });
    await assert.rejects(g.get("sync"), { code: "CACHECLUSTER_LOADER_FAILED", message: /boom sync/ });
    await assert.rejects(g.get("x"), { code: "CACHECLUSTER_LOADER_FAILED", message: /boom async/ });
    assert.equal(td.decode(await g.get("x")), "ok");
    assert.equal(g.stats.localLoadErrs, 2);
    assert.equal(g.stats.localLoads, 1);
  });

  it("accepts a loader that returns a thenable that is not a native promise", async () => {
    const g = localGroup(() => ({ then: (resolve: (v: string) => void) => resolve("from thenable") }));
    assert.equal(await g.getString("k"), "from thenable");
  });

  it("rejects a loader result that is not bytes or a string with a clear error", async () => {
    for (const bad of [42, null, undefined, { nope: 1 }, { value: 3 }]) {
      const g = localGroup(() => bad);
      await assert.rejects(g.get("k"), { code: "CACHECLUSTER_LOADER_RESULT_INVALID" });
    }
  });

  it("rejects a non-string key with a clear error", async () => {
    const g = localGroup(() => "v");
    await assert.rejects(g.get(42 as unknown as string), { code: "CACHECLUSTER_INVALID_ARGUMENT", message: /key to be a string, got number/ });
  });

  it("checks options eagerly", () => {
    const picker = new RingPeerPicker("http://self");
    assert.throws(() => new Group("", { load: () => "" }, { picker }), { code: "CACHECLUSTER_INVALID_ARGUMENT" });
    assert.throws(() => new Group("g", {} as never, { picker }), { message: /options.load to be a function, got undefined/ });
    assert.throws(() => new Group("g", { load: () => "", maxBytes: -1 }, { picker }), { message: /maxBytes/ });
  });

  it("a waiter's abort rejects only that waiter; the others get the shared load", async () => {
    let release!: () => void;
    let loaderSignal!: AbortSignal;
    const g2 = new Group(
      "g2",
      {
        load: async (_k, ctx) => {
          loaderSignal = ctx.signal;
          await new Promise<void>((r) => (release = r));
          return "shared";
        },
      },
      { picker: new RingPeerPicker("http://self") },
    );
    const ac = new AbortController();
    const aborted = g2.get("k", { signal: ac.signal });
    const other = g2.get("k");
    await tick();
    ac.abort();
    await assert.rejects(aborted, { code: "CACHECLUSTER_ABORTED" });
    assert.equal(loaderSignal.aborted, false);
    release();
    assert.equal(td.decode(await other), "shared");
    assert.equal(g2.stats.loadsDeduped, 1);
  });

  it("aborts the load's signal once every waiter has aborted", async () => {
    let loaderSignal!: AbortSignal;
    const g = new Group(
      "g",
      {
        load: (_k, ctx) => {
          loaderSignal = ctx.signal;
          return new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("stopped"))));
        },
      },
      { picker: new RingPeerPicker("http://self") },
    );
    const a = new AbortController();
    const b = new AbortController();
    const pa = g.get("k", { signal: a.signal });
    const pb = g.get("k", { signal: b.signal });
    await tick();
    a.abort();
    assert.equal(loaderSignal.aborted, false);
    b.abort();
    assert.equal(loaderSignal.aborted, true);
    await assert.rejects(pa, { code: "CACHECLUSTER_ABORTED" });
    await assert.rejects(pb, { code: "CACHECLUSTER_ABORTED" });
  });

  it("a peer fetch is aborted through its abortWatch once every waiter left; no AbortSignal is made unless read", async () => {
    /** A client that waits for the abort through `abortWatch` only, as the stream client does. */
    class WatchingClient extends FakeClient {
      watched: PeerCallOptions[] = [];
      override fetch(peer: string, group: string, key: string, options?: PeerCallOptions): Promise<PeerValue> {
        this.fetches.push(`${peer} ${group} ${key}`);
        const watch = options?.abortWatch;
        assert.ok(watch !== undefined);
        this.watched.push(options as PeerCallOptions);
        return new Promise((_resolve, reject) => watch.watch(() => reject(new Error(`gave up: ${String(watch.reason)}`))));
      }
    }
    const client = new WatchingClient(() => new Error("unused"));
    const g = new Group("g", { load: (k) => k }, { picker: remotePicker, client });
    const a = new AbortController();
    const b = new AbortController();
    const [sa, sb] = [a.signal, b.signal];
    const created = countAbortSignals();
    try {
      const pa = g.get("k", { signal: sa });
      const pb = g.get("k", { signal: sb });
      await tick();
      assert.deepEqual(client.fetches, ["http://owner g k"]);
      const options = client.watched[0] as PeerCallOptions;
      a.abort();
      assert.equal(options.abortWatch?.aborted, false);
      b.abort(new Error("b left"));
      await assert.rejects(pa, { code: "CACHECLUSTER_ABORTED" });
      await assert.rejects(pb, { code: "CACHECLUSTER_ABORTED" });
      assert.equal(options.abortWatch?.aborted, true);
      assert.equal(created.count, 0, "no AbortSignal was made for the fetch");
      // A transport that needs a real signal still gets one, aborted with the same reason.
      assert.equal(options.signal?.aborted, true);
      assert.equal(created.count, 1);
      assert.deepEqual({ ...options }.signal?.aborted, true, "a copy of the options keeps the signal");
      assert.equal(g.stats.peerErrors, 0);
    } finally {
      created.restore();
    }
  });

  it("aborts every load in flight when the cluster's lifetime ends, and names the group in the load context", async () => {
    const lifetime = new AbortController();
    const groups: string[] = [];
    const g = new Group(
      "reports",
      {
        load: (_k, ctx) => {
          groups.push(ctx.group);
          return new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("stopped"))));
        },
      },
      { picker: new RingPeerPicker("http://self"), lifetime: lifetime.signal },
    );
    // Loads that finished before the stop leave nothing behind that the stop could touch.
    const done = new Group("done", { load: (k) => k }, { picker: new RingPeerPicker("http://self"), lifetime: lifetime.signal });
    for (let i = 0; i < 3; i++) await done.get(`k${i}`);
    const pending = ["a", "b", "c"].map((k) => g.get(k));
    await tick();
    assert.deepEqual(groups, ["reports", "reports", "reports"]);
    lifetime.abort(new Error("cluster stopped"));
    for (const p of pending) await assert.rejects(p, { code: "CACHECLUSTER_ABORTED" });
    assert.equal(g.stats.localLoadErrs, 3);
    // The group still works for a fresh load after its in-flight table emptied.
    const after = new Group("after", { load: (k) => `v-${k}` }, { picker: new RingPeerPicker("http://self") });
    assert.equal(td.decode(await after.get("x")), "v-x");
    assert.equal(td.decode(await after.get("x")), "v-x");
  });

  it("fetches from the owning peer, counts PeerLoads, and does not call the loader", async () => {
    const client = new FakeClient((_p, k) => ({ value: te.encode(`peer-${k}`) }));
    let loads = 0;
    const g = new Group("g", { load: () => (loads++, "local"), hotPolicy: neverHot }, { picker: remotePicker, client });
    assert.equal(td.decode(await g.get("k")), "peer-k");
    assert.equal(loads, 0);
    assert.equal(g.stats.peerLoads, 1);
    assert.deepEqual(client.fetches, ["http://owner g k"]);
    // Not hot-cached with neverHot: fetched again.
    await g.get("k");
    assert.equal(client.fetches.length, 2);
  });

  it("keeps peer-fetched values in the hot cache when the policy says so", async () => {
    const client = new FakeClient(() => ({ value: te.encode("v") }));
    const g = new Group("g", { load: () => "local", hotPolicy: alwaysHot }, { picker: remotePicker, client });
    await g.get("k");
    await g.get("k");
    assert.equal(client.fetches.length, 1);
    assert.equal(g.cacheStats("hot").items, 1);
    assert.equal(g.cacheStats("main").items, 0);
  });

  it("by default keeps every fetched value hot while the budget has room, then only keys fetched more often than the hot victim", async () => {
    const value = new Uint8Array(1000);
    const client = new FakeClient(() => ({ value }));
    // Room for three entries of 1,000 B (about 1,200 B counted each; the main cache stays empty: every key is remote).
    const g = new Group("g", { load: () => "local", maxBytes: 4000 }, { picker: remotePicker, client });
    for (const key of ["a", "b", "c"]) await g.get(key);
    for (const key of ["a", "b", "c"]) await g.get(key);
    assert.equal(client.fetches.length, 3, "fetched once each, then read from the hot cache");
    assert.equal(g.cacheStats("hot").items, 3);
    await g.get("d");
    await g.get("d");
    assert.equal(client.fetches.length, 5, "d fetched once does not displace a (fetched once too), so it is fetched again");
    assert.equal(g.cacheStats("hot").items, 3);
    await g.get("d");
    assert.equal(client.fetches.length, 5, "fetched twice, d replaced the hot cache's victim");
    await g.get("a");
    assert.equal(client.fetches.length, 6, "a was the victim");
  });

  it("hot-caches about 1 in 10 peer fetches by default", async () => {
    let i = 0;
    const seq = [0.05, 0.5, 0.95, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.09];
    const policy = oneIn(10, () => seq[i++ % seq.length]!);
    const hits = Array.from({ length: 100 }, () => policy("k", new Uint8Array()));
    assert.equal(hits.filter(Boolean).length, 20);
    const real = oneIn(10);
    const n = Array.from({ length: 20_000 }, () => real("k", new Uint8Array())).filter(Boolean).length;
    assert.ok(n > 1600 && n < 2400, `oneIn(10) kept ${n} of 20000`);
  });

  it("falls back to a local load when the peer fails, and counts PeerErrors", async () => {
    const client = new FakeClient((p) => new PeerError(p, "connection refused"));
    const g = new Group("g", { load: () => "local" }, { picker: remotePicker, client });
    assert.equal(td.decode(await g.get("k")), "local");
    assert.equal(g.stats.peerErrors, 1);
    assert.equal(g.stats.localLoads, 1);
  });

  it("serveCached answers a peer's get from the caches at once, counted as serve counts a hit; a miss is left to serve", async () => {
    const g = localGroup((k) => `v-${k}`);
    assert.equal(g.serveCached("k"), undefined);
    assert.equal(g.stats.gets, 0, "a miss counts nothing: serve will");
    await g.serve("k");
    const served = g.serveCached("k");
    assert.equal(td.decode(served?.value), "v-k");
    assert.equal(served?.expire, undefined);
    assert.equal(g.stats.serverRequests, 2);
    assert.equal(g.stats.gets, 2);
    assert.equal(g.stats.cacheHits, 1);
    assert.equal(g.stats.localLoads, 1);
  });

  it("never forwards a request that came from a peer", async () => {
    const client = new FakeClient(() => ({ value: te.encode("peer") }));
    const g = new Group("g", { load: () => "local" }, { picker: remotePicker, client });
    const served = await g.serve("k");
    assert.equal(td.decode(served.value), "local");
    assert.equal(client.fetches.length, 0);
    assert.equal(g.stats.serverRequests, 1);
  });

  it("does not serve a value past its expiry", async () => {
    let now = 1_000;
    let loads = 0;
    const g = new Group("g", { load: () => (loads++, { value: "v", ttl: 100 }) }, { picker: new RingPeerPicker("http://self"), now: () => now });
    await g.get("k");
    now += 50;
    await g.get("k");
    assert.equal(loads, 1);
    now += 60;
    await g.get("k");
    assert.equal(loads, 2);
    const served = await g.serve("k");
    assert.equal(served.expire, now + 100);
  });

  it("set stores at the owner and drops the key from the other peers' hot caches; remove reaches owner and peers", async () => {
    const client = new FakeClient(() => ({ value: te.encode("x") }));
    const g = new Group("g", { load: () => "local" }, { picker: remotePicker, client, peers: () => ["http://owner", "http://p2", "http://p3"] });
    await g.set("k", "new");
    assert.deepEqual(client.sets, ["http://owner g k"]);
    assert.deepEqual(client.removes.sort(), ["http://p2 g k", "http://p3 g k"]);
    client.removes = [];
    await g.remove("k");
    assert.deepEqual(client.removes.sort(), ["http://owner g k", "http://p2 g k", "http://p3 g k"]);
  });

  it("remove and set still clear the other peers' hot caches when the owner refuses, then report the owner's error", async () => {
    const client = new FakeClient(() => ({ value: te.encode("x") }));
    client.remove = async (peer, group, key) => {
      client.removes.push(`${peer} ${group} ${key}`);
      if (peer === "http://owner") throw new PeerError(peer, "the peer does not support remove/set", { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" });
    };
    client.set = async (peer) => {
      throw new PeerError(peer, "the peer does not support remove/set", { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" });
    };
    const g = new Group("g", { load: () => "local" }, { picker: remotePicker, client, peers: () => ["http://owner", "http://p2"] });
    await assert.rejects(g.remove("k"), { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" });
    assert.ok(client.removes.includes("http://p2 g k"));
    client.removes = [];
    await assert.rejects(g.set("k", "v"), { code: "CACHECLUSTER_PEER_RESPONSE_INVALID" });
    assert.deepEqual(client.removes, ["http://p2 g k"]);
  });

  it("keeps main + hot bytes within maxBytes under any workload, evicting hot first while hot > main/8", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.record({ key: fc.string({ maxLength: 8 }), size: fc.integer({ min: 0, max: 600 }) }), { maxLength: 200 }),
        async (maxBytes, ops) => {
          const sizes = new Map(ops.map((o) => [o.key, o.size]));
          const stores: LruStore[] = [];
          const violations: string[] = [];
          // Records golang's rule at the moment of every eviction: main is evicted only while hot <= main/8.
          class CheckedStore extends LruStore {
            override evict(): boolean {
              const [main, hot] = stores as [LruStore, LruStore];
              if (this === main && hot.bytes > main.bytes / 8) violations.push(`main evicted with hot=${hot.bytes} main=${main.bytes}`);
              if (this === hot && !(hot.bytes > main.bytes / 8)) violations.push(`hot evicted with hot=${hot.bytes} main=${main.bytes}`);
              return super.evict();
            }
          }
          // Odd-length keys are owned by a peer (hot cache), even-length ones locally (main cache).
          const picker = { pickPeer: (k: string) => (k.length % 2 === 0 ? undefined : "http://owner") };
          const client = new FakeClient((_p, k) => ({ value: new Uint8Array(sizes.get(k) ?? 1) }));
          const g = new Group(
            "g",
            { load: (k) => new Uint8Array(sizes.get(k) ?? 1), maxBytes, hotPolicy: alwaysHot },
            {
              picker,
              client,
              storeFactory: () => {
                const s = new CheckedStore();
                stores.push(s);
                return s;
              },
            },
          );
          const [main, hot] = stores as [LruStore, LruStore];
          for (const op of ops) {
            await g.get(op.key);
            assert.ok(main.bytes + hot.bytes <= maxBytes, `bytes ${main.bytes + hot.bytes} > maxBytes ${maxBytes}`);
          }
          assert.deepEqual(violations, []);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("Group keys", () => {
  it("refuses a key with an unpaired surrogate (UTF-8 cannot carry it to its owner) with an error naming it", async () => {
    const g = localGroup((k) => `v:${k}`);
    for (const key of ["\uD800", "a\uDC00", "\uDBFF\uDBFF\uDC00x"]) {
      await assert.rejects(g.get(key), { code: "CACHECLUSTER_INVALID_ARGUMENT", message: /unpaired surrogate/ });
      await assert.rejects(g.set(key, "x"), { code: "CACHECLUSTER_INVALID_ARGUMENT" });
      await assert.rejects(g.remove(key), { code: "CACHECLUSTER_INVALID_ARGUMENT" });
    }
    assert.equal(await g.getString("😀\uFEFF"), "v:😀\uFEFF");
  });

  it("getString keeps a value's leading U+FEFF", async () => {
    const g = localGroup(() => "\uFEFFbom");
    assert.equal(await g.getString("k"), "\uFEFFbom");
  });
});
