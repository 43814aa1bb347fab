import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  PeerError,
  alwaysHot,
  neverHot,
  type AbortWatch,
  type PeerBatchResult,
  type PeerCallOptions,
  type PeerValue,
  type TransportClient,
} from "../src/index.js";
import { CacheGroup } from "../src/engine/group.js";
import type { GroupDeps, GroupOptions } from "../src/engine/group.js";

const te = new TextEncoder();
const td = new TextDecoder();
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Keys starting with `a` are owned by peer A, `b` by peer B, the rest by this node. */
const picker = { pickPeer: (key: string) => (key.startsWith("a") ? "http://A" : key.startsWith("b") ? "http://B" : undefined) };

/** A batching client: records each request, answers `peer:key` unless `answer` says otherwise. */
class BatchClient implements TransportClient {
  readonly batches: { peer: string; keys: readonly string[]; signal: AbortSignal | undefined }[] = [];
  readonly fetches: string[] = [];
  constructor(
    readonly answer: (peer: string, key: string) => PeerValue | Error = (peer, key) => ({ value: te.encode(`${peer}:${key}`) }),
    readonly release: Promise<void> = Promise.resolve(),
  ) {}
  async fetch(peer: string, _group: string, key: string): Promise<PeerValue> {
    this.fetches.push(key);
    await tick();
    const a = this.answer(peer, key);
    if (a instanceof Error) throw a;
    return a;
  }
  async fetchMany(peer: string, _group: string, keys: readonly string[], options?: PeerCallOptions): Promise<PeerBatchResult[]> {
    this.batches.push({ peer, keys: [...keys], signal: options?.signal });
    await this.release;
    await tick();
    return keys.map((key) => {
      const a = this.answer(peer, key);
      return a instanceof Error ? { status: "rejected", reason: a } : { status: "fulfilled", value: a };
    });
  }
  async remove(): Promise<void> {}
  async set(): Promise<void> {}
}

function group(client: TransportClient | undefined, options: Partial<GroupOptions> = {}, deps: Partial<GroupDeps> = {}) {
  const loads: string[] = [];
  const g = new CacheGroup(
    "g",
    {
      load: (key) => {
        loads.push(key);
        if (key.includes("broken")) throw new Error(`cannot load ${key}`);
        return `local:${key}`;
      },
      hotPolicy: neverHot,
      ...options,
    },
    { picker, client, ...deps },
  );
  return { g, loads };
}

function values(results: PromiseSettledResult<Uint8Array>[]): string[] {
  return results.map((r) => (r.status === "fulfilled" ? td.decode(r.value) : `error: ${(r.reason as Error).message}`));
}

describe("Group.getMany", () => {
  it("asks each owning peer once for all its missing keys, loads its own keys here, and answers in the order asked", async () => {
    const client = new BatchClient();
    const { g, loads } = group(client);
    const results = await g.getMany(["a1", "b1", "c1", "a2", "b2", "a3"]);
    assert.deepEqual(values(results), ["http://A:a1", "http://B:b1", "local:c1", "http://A:a2", "http://B:b2", "http://A:a3"]);
    assert.deepEqual(
      client.batches.map((b) => [b.peer, b.keys]),
      [
        ["http://A", ["a1", "a2", "a3"]],
        ["http://B", ["b1", "b2"]],
      ],
    );
    assert.deepEqual(client.fetches, []);
    assert.deepEqual(loads, ["c1"]);
    assert.equal(g.stats.batchGets, 1);
    assert.equal(g.stats.peerBatches, 2);
    assert.equal(g.stats.gets, 6);
    assert.equal(g.stats.peerLoads, 5);
    assert.equal(g.stats.localLoads, 1);
  });

  it("serves hits from this node's caches without any request, and sends nothing when every key hits", async () => {
    const client = new BatchClient();
    const { g } = group(client, { hotPolicy: alwaysHot });
    await g.getMany(["a1", "b1", "c1"]);
    const before = client.batches.length;
    const results = await g.getMany(["c1", "a1", "b1"]);
    assert.deepEqual(values(results), ["local:c1", "http://A:a1", "http://B:b1"]);
    assert.equal(client.batches.length, before);
    assert.equal(g.stats.cacheHits, 3);
  });

  it("a repeated key is asked for once and its result given at each of its places", async () => {
    const client = new BatchClient();
    const { g } = group(client);
    const results = await g.getMany(["a1", "a1", "b1", "a1"]);
    assert.deepEqual(values(results), ["http://A:a1", "http://A:a1", "http://B:b1", "http://A:a1"]);
    assert.deepEqual(client.batches.find((b) => b.peer === "http://A")?.keys, ["a1"]);
  });

  it("a key already in flight is not asked for again: get and getMany of the same key share one fetch", async () => {
    let release!: () => void;
    const client = new BatchClient(undefined, new Promise<void>((r) => (release = r)));
    const { g } = group(client);
    const first = g.getMany(["a1", "a2"]);
    const single = g.get("a1");
    const second = g.getMany(["a2", "a3"]);
    release();
    assert.deepEqual(values(await first), ["http://A:a1", "http://A:a2"]);
    assert.equal(td.decode(await single), "http://A:a1");
    assert.deepEqual(values(await second), ["http://A:a2", "http://A:a3"]);
    assert.deepEqual(
      client.batches.map((b) => b.keys),
      [["a1", "a2"], ["a3"]],
    );
    assert.deepEqual(client.fetches, []);
  });

  it("a key the owner cannot give loads here (as after a failed fetch); a key whose loader fails rejects that key only", async () => {
    const client = new BatchClient((peer, key) =>
      key === "a2" ? new PeerError(peer, "server returned 500", { status: 500 }) : { value: te.encode(`${peer}:${key}`) },
    );
    const { g, loads } = group(client);
    const results = await g.getMany(["a1", "a2", "c-broken", "b1"]);
    assert.deepEqual(values(results), ["http://A:a1", "local:a2", 'error: loader of group "g" failed for key "c-broken": cannot load c-broken', "http://B:b1"]);
    assert.deepEqual(loads.sort(), ["a2", "c-broken"]);
    assert.equal(g.stats.peerErrors, 1);
    assert.equal(g.stats.localLoadErrs, 1);
  });

  it("when a whole batch fails, its keys load here and the other owner's batch is unaffected", async () => {
    const client = new BatchClient();
    client.fetchMany = async (peer, group, keys, options) => {
      if (peer === "http://A") throw new PeerError(peer, "ECONNREFUSED");
      return BatchClient.prototype.fetchMany.call(client, peer, group, keys, options);
    };
    const { g, loads } = group(client);
    const results = await g.getMany(["a1", "b1", "a2"]);
    assert.deepEqual(values(results), ["local:a1", "http://B:b1", "local:a2"]);
    assert.deepEqual(loads.sort(), ["a1", "a2"]);
    assert.equal(g.stats.peerErrors, 2);
  });

  it("applies the hot-cache policy per key", async () => {
    const client = new BatchClient();
    const { g } = group(client, { hotPolicy: (key) => key.endsWith("hot") });
    await g.getMany(["a-hot", "a-cold", "b-hot"]);
    assert.equal(g.cacheStats("hot").items, 2);
    assert.notEqual(g.peek("a-hot"), undefined);
    assert.equal(g.peek("a-cold"), undefined);
  });

  it("uses one fetch per key with a transport client that has no fetchMany", async () => {
    const client = new BatchClient();
    const plain: TransportClient = { fetch: client.fetch.bind(client), remove: client.remove.bind(client), set: client.set.bind(client) };
    const { g } = group(plain);
    const results = await g.getMany(["a1", "b1", "a2"]);
    assert.deepEqual(values(results), ["http://A:a1", "http://B:b1", "http://A:a2"]);
    assert.deepEqual(client.fetches.sort(), ["a1", "a2", "b1"]);
  });

  it("rejects a keys argument that is not an array; a key that is not a string fails alone", async () => {
    const { g } = group(new BatchClient());
    await assert.rejects(g.getMany("a1" as never), { code: "CACHECLUSTER_INVALID_ARGUMENT", message: /expected keys to be an array of strings/ });
    const results = await g.getMany(["c1", 7 as never, "\uD800"]);
    assert.equal(results[0]?.status, "fulfilled");
    assert.match(values(results)[1] ?? "", /expected the key to be a string, got number/);
    assert.match(values(results)[2] ?? "", /unpaired surrogate/);
  });

  it("an aborted call rejects its missing keys with an AbortError and aborts the batch once no one waits for it", async () => {
    let release!: () => void;
    const client = new BatchClient(undefined, new Promise<void>((r) => (release = r)));
    const { g } = group(client);
    const controller = new AbortController();
    const pending = g.getMany(["a1", "a2"], { signal: controller.signal });
    await tick();
    controller.abort();
    const results = await pending;
    assert.deepEqual(
      results.map((r) => r.status === "rejected" && (r.reason as { code?: string }).code),
      ["CACHECLUSTER_ABORTED", "CACHECLUSTER_ABORTED"],
    );
    assert.equal(client.batches[0]?.signal?.aborted, true);
    release();
  });

  it("gives the batch's abort as an abortWatch, which fires only once every key's waiters are gone", async () => {
    let release!: () => void;
    const watched: { abortWatch: AbortWatch | undefined; fired: number }[] = [];
    class WatchingClient extends BatchClient {
      override async fetchMany(peer: string, group: string, keys: readonly string[], options?: PeerCallOptions): Promise<PeerBatchResult[]> {
        const seen = { abortWatch: options?.abortWatch, fired: 0 };
        seen.abortWatch?.watch(() => seen.fired++);
        watched.push(seen);
        return super.fetchMany(peer, group, keys, {});
      }
    }
    const client = new WatchingClient(undefined, new Promise<void>((r) => (release = r)));
    const { g } = group(client);
    const controller = new AbortController();
    const page = g.getMany(["a1", "a2"], { signal: controller.signal });
    // A get of a1 without a signal joins a1's flight: it keeps the batch alive.
    const single = g.get("a1");
    await tick();
    controller.abort();
    await tick();
    assert.equal(watched.length, 1);
    assert.equal(watched[0]?.abortWatch?.aborted, false);
    assert.equal(watched[0]?.fired, 0);
    release();
    assert.equal(td.decode(await single), "http://A:a1");
    assert.deepEqual(
      (await page).map((r) => r.status === "rejected" && (r.reason as { code?: string }).code),
      ["CACHECLUSTER_ABORTED", "CACHECLUSTER_ABORTED"],
    );

    // Alone, the page's abort aborts the batch: its watcher fires once.
    let releaseAgain!: () => void;
    const alone = new WatchingClient(undefined, new Promise<void>((r) => (releaseAgain = r)));
    const other = group(alone).g;
    const abortAll = new AbortController();
    const pending = other.getMany(["a1", "a2"], { signal: abortAll.signal });
    await tick();
    abortAll.abort();
    await pending;
    assert.equal(watched[1]?.abortWatch?.aborted, true);
    assert.equal(watched[1]?.fired, 1);
    releaseAgain();
  });

  it("an empty list resolves to an empty list without a request", async () => {
    const client = new BatchClient();
    const { g } = group(client);
    assert.deepEqual(await g.getMany([]), []);
    assert.equal(client.batches.length, 0);
  });
});
