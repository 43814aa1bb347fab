import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ContainerModule } from "inversify";
import { type CacheCluster, LruStore, StoreFactoryToken, TinyLfuStore, createCacheCluster, silentLogger, type Store, type StoreOptions } from "../src/index.js";

/**
 * The hit ratio of 100 hot keys, each read once per 2,000 reads of keys never read again (the group holds
 * ~1,500 entries): too seldom for LRU to keep them, often enough for W-TinyLFU's frequency sketch.
 */
async function hotHitRatio(cluster: CacheCluster, store?: "lru" | "tinylfu"): Promise<number> {
  const loaded = new Set<string>();
  let hotLoads = 0;
  const group = cluster.group("g", {
    maxBytes: 400 * 700,
    ...(store === undefined ? {} : { store }),
    load: (key) => {
      if (key.startsWith("hot") && loaded.has(key)) hotLoads++;
      loaded.add(key);
      return "v".repeat(100);
    },
  });
  const hot = Array.from({ length: 100 }, (_, i) => `hot-${String(i).padStart(5, "0")}`);
  for (let i = 0; i < 20_000; i++) {
    await group.get(`cold-${String(i).padStart(5, "0")}`);
    if (i % 20 === 0) await group.get(hot[(i / 20) % hot.length]!);
  }
  return 1 - hotLoads / (1000 - hot.length);
}

describe("choosing a group's store", () => {
  it("{ store: 'tinylfu' } keeps keys read often among many read once, where the default LRU group loses them", async () => {
    const lru = await hotHitRatio(await createCacheCluster({}, [], { logger: silentLogger }));
    const tinylfu = await hotHitRatio(await createCacheCluster({}, [], { logger: silentLogger }), "tinylfu");
    assert.ok(lru < 0.05 && tinylfu > 0.7, `hot keys' hit ratio: LRU ${lru}, W-TinyLFU ${tinylfu}`);
  });

  it("[cache] store = tinylfu makes it every group's default, and a group's store option overrides it", async () => {
    const config = { cache: { store: "tinylfu" as const } };
    assert.ok((await hotHitRatio(await createCacheCluster(config, [], { logger: silentLogger }))) > 0.7);
    assert.ok((await hotHitRatio(await createCacheCluster(config, [], { logger: silentLogger }), "lru")) < 0.05);
  });

  it("a StoreFactory bound in the container replaces the [cache] store default, and gets each store's kind and budget", async () => {
    const made: StoreOptions[] = [];
    const factory = new ContainerModule(({ bind }) => {
      bind(StoreFactoryToken).toConstantValue((options: StoreOptions): Store => (made.push(options), new LruStore()));
    });
    const cluster = await createCacheCluster({ cache: { store: "tinylfu", max_bytes: "1MiB" } }, [factory], { logger: silentLogger });
    cluster.group("g", { load: (k) => k });
    assert.deepEqual(made, [
      { name: "g/main", kind: "main", maxBytes: 2 ** 20 },
      { name: "g/hot", kind: "hot", maxBytes: 2 ** 20 },
    ]);
    const own = new TinyLfuStore();
    cluster.group("h", { store: () => own, load: (k) => k });
    assert.equal(made.length, 2, "a group's own factory is used instead");
  });

  it("refuses an unknown store name in the config and in a group's options, naming the choices", async () => {
    await assert.rejects(createCacheCluster({ cache: { store: "arc" } } as never, [], { logger: silentLogger }), /cache\.store.*expected one of lru, tinylfu/);
    const cluster = await createCacheCluster({}, [], { logger: silentLogger });
    assert.throws(
      () => cluster.group("g", { store: "arc" as never, load: (k) => k }),
      /expected options\.store to be "lru", "tinylfu" or a StoreFactory, got "arc"/,
    );
  });
});
