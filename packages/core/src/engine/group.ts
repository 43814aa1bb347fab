import { EntryHandle } from "../cache/entry-handles.js";
import { SlabStore } from "../cache/slab-store.js";
import { STORE_KINDS, type StoreKind, storeFactoryOf } from "../cache/store-kinds.js";
import { AbortError, CacheClusterError, InvalidArgumentError, LoaderError, describe } from "../errors.js";
import type { Group } from "../interfaces/group.js";
import type { Store, StoreEntry, StoreFactory, StoreStats } from "../interfaces/store.js";
import type { PeerBatchResult, PeerCallOptions, PeerValue, TraceCarrier, TransportClient } from "../interfaces/transport.js";
import type { Logger } from "../interfaces/logger.js";
import { silentLogger } from "../interfaces/logger.js";
import { HOT_POLICY_KINDS, type HotPolicy, type HotPolicyKind, hotPolicyOf } from "./hot-policy.js";
import type { PeerPicker } from "./peer-picker.js";
import { type FlightSignal, fetchOptions } from "./flight-signal.js";
import type { GroupInstruments } from "./instruments.js";
import { PeerBatch, fetchEach } from "./peer-batch.js";
import { classifyPeerFailure } from "./peer-failure.js";
import type { PeerOutliers } from "./peer-outliers.js";
import { SingleFlight, abortReason } from "./singleflight.js";
import { GetTrace, type Tracing, activeTracing, lookForTracing } from "./tracing.js";
import { type GroupStats, emptyGroupStats } from "./stats.js";
import type { InvalidationTarget, Invalidator } from "./gossip-invalidation.js";

export interface LoadContext {
  /** Aborted only when every caller waiting for this load has aborted, or the cluster stops. */
  readonly signal: AbortSignal;
  readonly group: string;
}

/** What a loader returns: bytes, a string (stored as UTF-8), or either with an expiry. */
export type LoadResult = Uint8Array | string | { readonly value: Uint8Array | string; readonly ttl?: number; readonly expire?: number };

export type Loader = (key: string, context: LoadContext) => LoadResult | Promise<LoadResult>;

export interface GroupOptions {
  /** Byte budget of main + hot cache (key + value + per-entry overhead); default `[cache] max_bytes`. */
  readonly maxBytes?: number;
  /** Loads a missing value; runs once per key cluster-wide, on the key's owner. */
  readonly load: Loader;
  /**
   * Which peer-fetched values to keep in the hot cache: `"one-in-10"` (golang/groupcache's coin), `"frequency"`
   * (every value while the budget has room, then a key fetched twice lately and more often than the hot cache's
   * victim, see `frequentHot`) or a HotPolicy;
   * default `[cache] hot_policy` (`"frequency"`).
   */
  readonly hotPolicy?: HotPolicy | HotPolicyKind;
  /** Default time to live in ms for loaded values that give none; default: no expiry. */
  readonly ttl?: number;
  /**
   * The eviction of this group's main and hot caches: `"lru"` (golang/groupcache's), `"tinylfu"` (W-TinyLFU
   * admission) or a StoreFactory; default `[cache] store` (or the StoreFactory bound in the container).
   */
  readonly store?: StoreKind | StoreFactory;
}

export interface GetOptions {
  readonly signal?: AbortSignal;
}

export interface SetOptions {
  /** Time to live in ms. */
  readonly ttl?: number;
}

export interface GroupDeps {
  readonly picker: PeerPicker;
  readonly client?: TransportClient | undefined;
  readonly storeFactory?: StoreFactory;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Peers other than self, for remove/set broadcast to hot caches. */
  readonly peers?: () => readonly string[];
  /**
   * Gossips the invalidation of other nodes' copies after remove/set (the membership can broadcast); without
   * it, or for a key too long to gossip, one HTTP remove goes to every peer.
   */
  readonly invalidator?: Invalidator | undefined;
  /** Aborted when the cluster stops. */
  readonly lifetime?: AbortSignal;
  /** Skips peers that keep failing (their keys load here for a while); default: never skip. */
  readonly outliers?: PeerOutliers;
  /** Latency histograms (miss path only); default none. */
  readonly instruments?: GroupInstruments;
}

const encoder = new TextEncoder();
// ignoreBOM: a value that starts with U+FEFF keeps it (getString is the value as it is, decoded).
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const valueOf = (entry: StoreEntry): Uint8Array => entry.value;

/**
 * A named cache with a loader, as golang/groupcache's Group: main cache → hot cache → singleflight →
 * owner on the ring (peer fetch, maybe hot-cached) or local load (main cache).
 */
export class CacheGroup implements Group, InvalidationTarget {
  readonly name: string;
  readonly maxBytes: number;
  readonly stats: GroupStats = emptyGroupStats();
  readonly #load: Loader;
  readonly #hotPolicy: HotPolicy;
  readonly #ttl: number | undefined;
  readonly #main: Store;
  readonly #hot: Store;
  /** Whether main and hot are core's SlabStores sharing one handle cache (SlabStore.pair). */
  readonly #paired: boolean;
  readonly #flight: SingleFlight<StoreEntry>;
  readonly #deps: GroupDeps;
  readonly #now: () => number;
  readonly #logger: Logger;
  /** The flight the latest miss joined (read right after `#get` by `get`, to label its latency). */
  #lastFlight: FlightSignal | undefined;
  /**
   * The settled promise handed out for each value a store returned, so that a hit allocates nothing: a store
   * returns the same Uint8Array for an unchanged entry, whose bytes never change (see Store). Core's own
   * stores hand out EntryHandles, which keep theirs in a field: no lookup at all.
   */
  readonly #resolved = new WeakMap<Uint8Array, Promise<Uint8Array>>();

  constructor(name: string, options: GroupOptions, deps: GroupDeps) {
    if (typeof name !== "string" || name.length === 0) throw new InvalidArgumentError(`expected a non-empty group name, got ${JSON.stringify(name)}`);
    if (typeof options?.load !== "function") throw new InvalidArgumentError(`expected options.load to be a function, got ${typeof options?.load}`);
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
      throw new InvalidArgumentError(`expected options.maxBytes to be a non-negative integer, got ${String(maxBytes)}`);
    if (options.ttl !== undefined && !(options.ttl > 0))
      throw new InvalidArgumentError(`expected options.ttl to be a positive number of ms, got ${String(options.ttl)}`);
    this.name = name;
    this.maxBytes = maxBytes;
    this.#load = options.load;
    this.#hotPolicy = hotPolicyFor(options.hotPolicy ?? "frequency", maxBytes);
    this.#ttl = options.ttl;
    const factory = storeFactoryFor(options.store) ?? deps.storeFactory ?? storeFactoryOf("lru");
    this.#main = factory({ name: `${name}/main`, kind: "main", maxBytes });
    this.#hot = factory({ name: `${name}/hot`, kind: "hot", maxBytes });
    this.#paired = this.#main instanceof SlabStore && this.#hot instanceof SlabStore && SlabStore.pair(this.#main, this.#hot);
    this.#flight = new SingleFlight(name);
    lookForTracing();
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#logger = deps.logger ?? silentLogger;
    const lifetime = deps.lifetime;
    // One listener on the cluster's lifetime per group, not one per load.
    lifetime?.addEventListener("abort", () => this.#flight.abortAll(lifetime.reason), { once: true });
  }

  /**
   * The value of `key`, from a cache, the owning peer, or the loader. The bytes are shared with the cache,
   * as golang's ByteView is: treat them as read-only (copy with `.slice()` before changing them).
   * A hit resolves without going through an async function and, for a value read before, without allocating.
   */
  get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const tracing = activeTracing();
    if (tracing !== undefined) return this.#tracedGet(tracing, key, options);
    try {
      const got = this.#get(key, options.signal, false);
      if (!(got instanceof Promise)) {
        if (got instanceof EntryHandle) return (got.resolved ??= Promise.resolve(got.value));
        const value = got.value;
        let resolved = this.#resolved.get(value);
        if (resolved === undefined) {
          resolved = Promise.resolve(value);
          this.#resolved.set(value, resolved);
        }
        return resolved;
      }
      const instruments = this.#deps.instruments;
      if (instruments === undefined) return got.then(valueOf);
      const start = performance.now();
      const flight = this.#lastFlight;
      return got.then(
        (entry) => {
          instruments.getLatency(flight?.outcome ?? "load", (performance.now() - start) / 1000);
          return entry.value;
        },
        (error: unknown) => {
          instruments.getLatency("error", (performance.now() - start) / 1000);
          throw error;
        },
      );
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * The cached value of `key` on this node (main or hot cache), synchronously, or undefined: no peer fetch,
   * no load. Counted as a get (and a hit when found). `group.peek(k) ?? (await group.get(k))` skips the
   * promise on hits in hot loops.
   */
  peek(key: string): Uint8Array | undefined {
    checkKey(key);
    this.stats.gets++;
    const entry = this.#lookup(key);
    if (entry === undefined) return undefined;
    this.stats.cacheHits++;
    return entry.value;
  }

  /**
   * The values of `keys` as `Promise.allSettled(keys.map((k) => this.get(k)))` gives them, with one request per
   * owning peer (`fetchMany`) instead of one per key; see `Group.getMany`. Every key counts as a get; a
   * repeated key is looked up once and its result given at each of its places.
   */
  getMany(keys: readonly string[], options: GetOptions = {}): Promise<PromiseSettledResult<Uint8Array>[]> {
    if (!Array.isArray(keys)) return Promise.reject(new InvalidArgumentError(`expected keys to be an array of strings, got ${describe(keys)}`));
    this.stats.batchGets++;
    const tracing = activeTracing();
    const trace = tracing === undefined ? undefined : GetTrace.getMany(tracing, this.name, keys.length);
    const signal = options.signal;
    const results = new Array<PromiseSettledResult<Uint8Array>>(keys.length);
    const pending: Promise<void>[] = [];
    const firstAt = new Map<unknown, number>();
    const repeats: number[] = [];
    /** Owner → the batch of this call's keys it is asked for (null: skipped as an outlier, its keys load here). */
    const batches = new Map<string, PeerBatch | null>();
    let hits = 0;
    for (let i = 0; i < keys.length; i++) {
      const key: unknown = keys[i];
      if (firstAt.has(key)) {
        repeats.push(i);
        continue;
      }
      firstAt.set(key, i);
      try {
        // checkKey in #get refuses a key that is not a string.
        const got = this.#get(key as string, signal, false, trace, batches);
        if (got instanceof Promise) {
          pending.push(
            got.then(
              (entry) => void (results[i] = { status: "fulfilled", value: entry.value }),
              (error: unknown) => void (results[i] = { status: "rejected", reason: error }),
            ),
          );
        } else {
          hits++;
          results[i] = { status: "fulfilled", value: got.value };
        }
      } catch (error) {
        results[i] = { status: "rejected", reason: error };
      }
    }
    for (const batch of batches.values()) if (batch !== null) this.#sendBatch(batch, trace);
    const done = (pending.length === 0 ? Promise.resolve() : Promise.all(pending)).then(() => {
      for (const i of repeats) results[i] = results[firstAt.get(keys[i]) as number] as PromiseSettledResult<Uint8Array>;
      return results;
    });
    return trace === undefined ? done : trace.finishMany(done, hits);
  }

  /** Like `get`, decoded as UTF-8. */
  async getString(key: string, options: GetOptions = {}): Promise<string> {
    return decoder.decode(await this.get(key, options));
  }

  /** Serve a request that came from a peer: local caches or local load, never forwarded. */
  async serve(key: string, options: PeerCallOptions = {}): Promise<PeerValue> {
    this.stats.serverRequests++;
    const tracing = activeTracing();
    const entry = await (tracing === undefined
      ? this.#get(key, options.signal, true)
      : this.#traced(GetTrace.serve(tracing, this.name, options.traceContext), key, options.signal, true));
    return peerValueOf(entry);
  }

  /**
   * A peer's get answered from this node's caches at once, counted as `serve` counts a hit; undefined on a miss or
   * while tracing is on (a span must be made): then `serve`. A transport answers a hit without a promise this way.
   */
  serveCached(key: string): PeerValue | undefined {
    if (typeof key !== "string" || activeTracing() !== undefined) return undefined;
    const entry = this.#lookup(key);
    if (entry === undefined) return undefined;
    this.stats.serverRequests++;
    this.stats.gets++;
    this.stats.cacheHits++;
    return peerValueOf(entry);
  }

  /** `get` with its span (an SDK is registered): the same path, plus what the span needs to know. */
  #tracedGet(tracing: Tracing, key: string, options: GetOptions): Promise<Uint8Array> {
    return this.#traced(GetTrace.get(tracing, this.name), key, options.signal, false).then(valueOf);
  }

  #traced(trace: GetTrace, key: string, signal: AbortSignal | undefined, fromPeer: boolean): Promise<StoreEntry> {
    let got: StoreEntry | Promise<StoreEntry>;
    try {
      got = this.#get(key, signal, fromPeer, trace);
    } catch (error) {
      trace.fail(error);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (!(got instanceof Promise)) {
      trace.finishHit();
      return Promise.resolve(got);
    }
    const flight = this.#lastFlight;
    const instruments = this.#deps.instruments;
    if (instruments !== undefined && !fromPeer) {
      const start = performance.now();
      got.then(
        () => instruments.getLatency(flight?.outcome ?? "load", (performance.now() - start) / 1000),
        () => instruments.getLatency("error", (performance.now() - start) / 1000),
      );
    }
    return trace.finish(got, flight);
  }

  /** Store a value at its owner (extension beyond golang/groupcache) and drop it from the other peers' hot caches. */
  async set(key: string, value: Uint8Array | string, options: SetOptions = {}): Promise<void> {
    checkKey(key);
    checkWellFormed(key);
    const entry = toEntry(this.name, key, value, options.ttl, undefined, this.#now());
    const owner = this.#deps.picker.pickPeer(key);
    this.#hot.remove(key);
    const client = this.#deps.client;
    if (owner === undefined || client === undefined) {
      this.#populate(this.#main, key, entry);
      await this.#invalidateOthers(key, owner);
      return;
    }
    // The other peers drop their hot copies even when the owner refuses (a Go peer cannot set).
    await this.#atOwnerThenOthers(key, owner, () => client.set(owner, this.name, key, entry));
  }

  /** Delete a key at its owner and from every peer's hot cache (extension beyond golang/groupcache). */
  async remove(key: string): Promise<void> {
    checkKey(key);
    checkWellFormed(key);
    this.#main.remove(key);
    this.#hot.remove(key);
    const owner = this.#deps.picker.pickPeer(key);
    const client = this.#deps.client;
    if (owner === undefined || client === undefined) return this.#invalidateOthers(key, owner);
    await this.#atOwnerThenOthers(key, owner, () => client.remove(owner, this.name, key));
  }

  /**
   * The change at the owner, and the other nodes' copies dropped (even when the owner refused). With gossip, the
   * invalidation is queued once the owner answered: a node that drops its copy on receipt and fetches again gets
   * the new value. The HTTP fan-out runs alongside the owner's request, as it always did.
   */
  async #atOwnerThenOthers(key: string, owner: string, atOwner: () => Promise<void>): Promise<void> {
    if (this.#deps.invalidator === undefined) {
      const [result] = await Promise.allSettled([atOwner(), this.#broadcastRemove(key, owner)]);
      if (result.status === "rejected") throw result.reason;
      return;
    }
    try {
      await atOwner();
    } finally {
      await this.#invalidateOthers(key, owner);
    }
  }

  /** Apply a set that came from a peer (this node is the owner). */
  setLocal(key: string, value: PeerValue): void {
    this.#hot.remove(key);
    this.#populate(this.#main, key, value.expire === undefined ? { value: value.value } : { value: value.value, expire: value.expire });
  }

  /** Apply a remove that came from a peer. */
  removeLocal(key: string): void {
    this.#main.remove(key);
    this.#hot.remove(key);
  }

  /**
   * Drop this node's copy of `key` because another node set or removed it (a gossiped invalidation): the hot
   * copy, a main copy this node kept from when it owned the key (the ring changed since), and the hot-caching of
   * a fetch of the key in flight (its callers get the value, the hot cache does not keep it). Never the owner's
   * main entry: the owner got the change directly, and a late or repeated message must not drop a newer value.
   * True when a copy was dropped.
   */
  invalidate(key: string): boolean {
    let dropped = this.#hot.remove(key);
    if (this.#deps.picker.pickPeer(key) !== undefined) dropped = this.#main.remove(key) || dropped;
    const flight = this.#flight.flightOf(key);
    if (flight !== undefined) flight.invalidated = true;
    return dropped;
  }

  cacheStats(kind: "main" | "hot"): StoreStats {
    return (kind === "main" ? this.#main : this.#hot).stats();
  }

  /** Other nodes drop their copies: gossiped when the membership can, else (or for a key too long) over HTTP. */
  async #invalidateOthers(key: string, owner: string | undefined): Promise<void> {
    // A fetch of this node's own that was in flight while the owner changed does not hot-cache what it got.
    this.#hot.remove(key);
    const flight = this.#flight.flightOf(key);
    if (flight !== undefined) flight.invalidated = true;
    if (this.#deps.invalidator?.invalidate(this.name, key) === true) return;
    await this.#broadcastRemove(key, owner);
  }

  async #broadcastRemove(key: string, owner: string | undefined): Promise<void> {
    const client = this.#deps.client;
    if (client === undefined) return;
    const others = (this.#deps.peers?.() ?? []).filter((p) => p !== owner);
    await Promise.all(
      others.map((peer) =>
        client.remove(peer, this.name, key).catch((error: unknown) => {
          this.#logger.warn({ err: error, peer, group: this.name, key }, "cachecluster: hot-cache remove at peer failed");
        }),
      ),
    );
  }

  /**
   * A hit returns the entry synchronously; a miss returns the (shared) load. With `batches` (a key of `getMany`),
   * a miss owned by a peer joins that owner's batch, when its flight starts here.
   */
  #get(
    key: string,
    signal: AbortSignal | undefined,
    fromPeer: boolean,
    trace?: GetTrace,
    batches?: Map<string, PeerBatch | null>,
  ): StoreEntry | Promise<StoreEntry> {
    checkKey(key);
    this.stats.gets++;
    if (signal?.aborted === true) throw abortReason(signal);
    const cached = this.#lookup(key, trace);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      return cached;
    }
    checkWellFormed(key);
    this.stats.loads++;
    const call = this.#flight.do(
      key,
      (flight) => {
        const batch = batches === undefined ? undefined : this.#batchFor(key, batches);
        return batch === undefined ? this.#loadOnce(key, flight, fromPeer, trace) : this.#loadFromBatch(key, flight, batch, trace);
      },
      signal,
    );
    this.#lastFlight = call.flight;
    return call.promise;
  }

  /** The batch of the owner of `key`, made on first use; undefined when this node loads the key itself. */
  #batchFor(key: string, batches: Map<string, PeerBatch | null>): PeerBatch | undefined {
    const owner = this.#deps.picker.pickPeer(key);
    if (owner === undefined || this.#deps.client === undefined) return undefined;
    let batch = batches.get(owner);
    if (batch === undefined) {
      batch = (this.#deps.outliers?.admit(owner) ?? true) ? new PeerBatch(owner) : null;
      batches.set(owner, batch);
    }
    return batch ?? undefined;
  }

  /** A flight whose value comes in its owner's batch; a key the owner could not give loads here, as after a failed fetch. */
  async #loadFromBatch(key: string, flight: FlightSignal, batch: PeerBatch, trace: GetTrace | undefined): Promise<StoreEntry> {
    const joined = batch.join(key, flight);
    this.stats.loadsDeduped++;
    flight.peer = batch.owner;
    let reason: unknown;
    try {
      const result = await joined;
      if (result.status === "fulfilled") return this.#fetched(key, result.value, flight);
      reason = result.reason;
    } catch (error) {
      reason = error;
    }
    if (flight.aborted) throw abortReason(flight);
    this.stats.peerErrors++;
    this.#logger.debug(
      { err: reason, peer: batch.owner, group: this.name, key },
      `cachecluster: peer ${batch.owner} did not give a key of a batch; loading here`,
    );
    return this.#loadHere(key, flight, trace);
  }

  /** Sends one owner's batch; the outlier and latency accounting is per request, as for a single fetch. */
  #sendBatch(batch: PeerBatch, trace: GetTrace | undefined): void {
    const client = this.#deps.client as TransportClient;
    const { outliers, instruments } = this.#deps;
    const owner = batch.owner;
    this.stats.peerBatches++;
    batch.send((keys, abort) => {
      const started = instruments === undefined ? 0 : performance.now();
      const call = (traceContext: TraceCarrier | undefined): Promise<PeerBatchResult[]> => {
        const options = fetchOptions(abort, traceContext);
        return client.fetchMany !== undefined ? client.fetchMany(owner, this.name, keys, options) : fetchEach(client, owner, this.name, keys, options);
      };
      const sent = trace === undefined ? call(undefined) : trace.fetch(owner, call, keys.length);
      return sent.then(
        (results) => {
          instruments?.peerFetch(owner, (performance.now() - started) / 1000, undefined);
          outliers?.succeeded(owner);
          return results;
        },
        (error: unknown) => {
          if (abort.aborted) outliers?.abandoned(owner);
          else this.#peerFailed(owner, error, started, { keys: keys.length });
          throw error;
        },
      );
    });
  }

  #lookup(key: string, trace?: GetTrace): StoreEntry | undefined {
    if (trace === undefined) {
      return this.#paired
        ? SlabStore.getFromPair(this.#main as SlabStore, this.#hot as SlabStore, key, this.#now)
        : (this.#main.get(key, this.#now) ?? this.#hot.get(key, this.#now));
    }
    return this.#main.get(key, this.#now) ?? trace.fromHot(this.#hot.get(key, this.#now));
  }

  async #loadOnce(key: string, flight: FlightSignal, fromPeer: boolean, trace: GetTrace | undefined): Promise<StoreEntry> {
    trace?.leads();
    const again = this.#lookup(key, trace);
    if (again !== undefined) {
      this.stats.cacheHits++;
      flight.outcome = "hit";
      return again;
    }
    this.stats.loadsDeduped++;
    const owner = fromPeer ? undefined : this.#deps.picker.pickPeer(key);
    const client = this.#deps.client;
    if (owner !== undefined && client !== undefined && (this.#deps.outliers?.admit(owner) ?? true)) {
      const fetched = await this.#fetchFromPeer(client, owner, key, flight, trace);
      if (fetched !== undefined) return fetched;
    }
    return this.#loadHere(key, flight, trace);
  }

  /** Runs this node's loader for `key` (the flight's leader) and keeps the value in the main cache. */
  async #loadHere(key: string, flight: FlightSignal, trace: GetTrace | undefined): Promise<StoreEntry> {
    flight.outcome = "load";
    const instruments = this.#deps.instruments;
    const started = instruments === undefined ? 0 : performance.now();
    let result: LoadResult;
    try {
      // The flight is the load context (its `signal` and `group`): no second object per miss.
      const loaded = trace === undefined ? this.#load(key, flight) : trace.load(() => this.#load(key, flight));
      // A loader that answers synchronously costs no extra promise.
      result = isThenable(loaded) ? await loaded : loaded;
      instruments?.loadDuration(true, (performance.now() - started) / 1000);
    } catch (error) {
      instruments?.loadDuration(false, (performance.now() - started) / 1000);
      this.stats.localLoadErrs++;
      if (error instanceof CacheClusterError && error.code === "CACHECLUSTER_ABORTED") throw error;
      if (flight.aborted) throw new AbortError("the load was aborted", { cause: error });
      throw new LoaderError(this.name, key, error);
    }
    let entry: StoreEntry;
    try {
      entry = toEntry(this.name, key, result, undefined, this.#ttl, this.#now());
    } catch (error) {
      this.stats.localLoadErrs++;
      throw error;
    }
    this.stats.localLoads++;
    this.#populate(this.#main, key, entry);
    return entry;
  }

  /** The owner's value, or undefined when the fetch failed (then the caller loads here). */
  async #fetchFromPeer(
    client: TransportClient,
    owner: string,
    key: string,
    flight: FlightSignal,
    trace: GetTrace | undefined,
  ): Promise<StoreEntry | undefined> {
    const { outliers, instruments } = this.#deps;
    const started = instruments === undefined ? 0 : performance.now();
    flight.peer = owner;
    try {
      const got = await (trace === undefined
        ? client.fetch(owner, this.name, key, fetchOptions(flight))
        : trace.fetch(owner, (traceContext) => client.fetch(owner, this.name, key, fetchOptions(flight, traceContext))));
      instruments?.peerFetch(owner, (performance.now() - started) / 1000, undefined);
      outliers?.succeeded(owner);
      return this.#fetched(key, got, flight);
    } catch (error) {
      if (flight.aborted) {
        outliers?.abandoned(owner);
        throw abortReason(flight);
      }
      this.stats.peerErrors++;
      this.#peerFailed(owner, error, started, { key });
      return undefined;
    }
  }

  /** The peer-fetched key the hot policy is asked about (read by #hotVictim). */
  #hotCandidate = { key: "", length: 0 };

  /**
   * What keeping the candidate hot would evict: null when the budget has room for it (nothing), undefined while
   * the hot cache may grow by it (hot + candidate <= main / 8: golang's rule evicts from main) or when its store
   * cannot tell, else the key the hot cache would give up.
   */
  readonly #hotVictim = (): string | null | undefined => {
    const hot = this.#hot;
    const { key, length } = this.#hotCandidate;
    const added = hot instanceof SlabStore ? hot.countedBytes(key, length) : key.length + length;
    if (this.#main.bytes + hot.bytes + added <= this.maxBytes) return null;
    if (!(hot instanceof SlabStore) || hot.bytes + added <= this.#main.bytes / 8) return undefined;
    return hot.peekVictim();
  };

  /** A value the owner gave: counted, kept in the hot cache when the policy admits it (per key). */
  #fetched(key: string, got: PeerValue, flight: FlightSignal): StoreEntry {
    this.stats.peerLoads++;
    flight.outcome = "peer";
    const entry: StoreEntry = got.expire === undefined ? { value: got.value } : { value: got.value, expire: got.expire };
    this.#hotCandidate = { key, length: got.value.byteLength };
    if (!flight.invalidated && this.#hotPolicy(key, got.value, this.#hotVictim)) this.#populate(this.#hot, key, entry);
    return entry;
  }

  /** Accounts a failed request to `owner` (histogram, outlier ejection) and logs it: a warning the first time in a row. */
  #peerFailed(owner: string, error: unknown, started: number, about: { readonly key: string } | { readonly keys: number }): void {
    const { outliers, instruments } = this.#deps;
    const { kind, outlier } = classifyPeerFailure(error);
    instruments?.peerFetch(owner, (performance.now() - started) / 1000, kind);
    // The first failure of a peer in a row is a warning; the rest are debug (ejection, if any, warns on its own).
    let inARow = 1;
    if (outliers !== undefined) {
      if (outlier) inARow = outliers.failed(owner, describe(error));
      else outliers.succeeded(owner);
    }
    const what = "key" in about ? "a fetch" : `a batch of ${about.keys} keys`;
    const fields = { err: error, peer: owner, group: this.name, ...about, failuresInARow: inARow };
    if (outlier && inARow === 1) this.#logger.warn(fields, `cachecluster: peer ${owner} failed ${what} (${kind}); loading here`);
    else this.#logger.debug(fields, `cachecluster: peer ${owner} failed ${what} (${kind}); loading here`);
  }

  /** golang's populateCache: add, then evict while main + hot > maxBytes (hot first while hot > main/8). */
  #populate(store: Store, key: string, entry: StoreEntry): void {
    if (this.maxBytes <= 0) return;
    store.add(key, entry);
    for (;;) {
      const mainBytes = this.#main.bytes;
      const hotBytes = this.#hot.bytes;
      if (mainBytes + hotBytes <= this.maxBytes) return;
      const victim = hotBytes > mainBytes / 8 ? this.#hot : this.#main;
      if (!victim.evict()) return;
    }
  }
}

/** A cached entry as a peer gets it (the expiry only when it has one). */
function peerValueOf(entry: StoreEntry): PeerValue {
  return entry.expire === undefined ? { value: entry.value } : { value: entry.value, expire: entry.expire };
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string") throw new InvalidArgumentError(`expected the key to be a string, got ${typeof key}`);
}

/**
 * A key travels to its owner as UTF-8 (and a Go peer's keys are bytes), which cannot carry an unpaired UTF-16
 * surrogate: "\uD800" and "\uDC00" would both arrive as U+FFFD and get one another's value. Checked on the miss
 * path only, so hits cost nothing: a key that fails here never enters a cache.
 */
function checkWellFormed(key: string): void {
  if ((key as unknown as { isWellFormed(): boolean }).isWellFormed()) return;
  const at = key.search(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  throw new InvalidArgumentError(
    `expected the key to be well-formed Unicode (it travels to its owner as UTF-8), got an unpaired surrogate at index ${at} of ${JSON.stringify(key)}`,
  );
}

function toEntry(group: string, key: string, result: LoadResult, ttlOverride: number | undefined, defaultTtl: number | undefined, now: number): StoreEntry {
  let value: Uint8Array | string;
  let expire: number | undefined;
  if (typeof result === "string" || result instanceof Uint8Array) {
    value = result;
  } else if (typeof result === "object" && result !== null && "value" in result) {
    value = result.value;
    if (result.expire !== undefined) expire = result.expire;
    else if (result.ttl !== undefined) expire = now + result.ttl;
  } else {
    throw new LoaderError(group, key, `expected a Uint8Array, a string or { value }, got ${describe(result)}`, "CACHECLUSTER_LOADER_RESULT_INVALID");
  }
  if (typeof value !== "string" && !(value instanceof Uint8Array)) {
    throw new LoaderError(group, key, `expected value to be a Uint8Array or a string, got ${typeof value}`, "CACHECLUSTER_LOADER_RESULT_INVALID");
  }
  const ttl = ttlOverride ?? defaultTtl;
  if (expire === undefined && ttl !== undefined) expire = now + ttl;
  // The store decides whether to copy (a small value into a slab, a view into a larger buffer so the cache
  // does not keep that buffer alive); the first callers get the loader's bytes as they are.
  const bytes = typeof value === "string" ? encoder.encode(value) : value;
  return expire === undefined ? { value: bytes } : { value: bytes, expire };
}

function hotPolicyFor(policy: HotPolicy | HotPolicyKind, maxBytes: number): HotPolicy {
  if (typeof policy === "function") return policy;
  if ((HOT_POLICY_KINDS as readonly unknown[]).includes(policy)) return hotPolicyOf(policy, maxBytes);
  throw new InvalidArgumentError(
    `expected options.hotPolicy to be ${HOT_POLICY_KINDS.map((k) => `"${k}"`).join(", ")} or a function, got ${JSON.stringify(policy)}`,
  );
}

function storeFactoryFor(store: StoreKind | StoreFactory | undefined): StoreFactory | undefined {
  if (store === undefined || typeof store === "function") return store;
  if ((STORE_KINDS as readonly unknown[]).includes(store)) return storeFactoryOf(store);
  throw new InvalidArgumentError(`expected options.store to be ${STORE_KINDS.map((k) => `"${k}"`).join(", ")} or a StoreFactory, got ${JSON.stringify(store)}`);
}
