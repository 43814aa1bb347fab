import { Counter, Gauge, type Metric, Registry } from "prom-client";
import { Histogram } from "../engine/histogram.js";
import type { ClusterInstruments } from "../engine/instruments.js";
import type { PeerOutliers } from "../engine/peer-outliers.js";
import type { GroupStats } from "../engine/stats.js";
import type { InvalidationStats } from "../engine/gossip-invalidation.js";
import type { ClusterMetrics } from "../interfaces/cache-cluster.js";
import type { MemberState, MembershipEventType } from "../interfaces/membership.js";
import { readStatDescriptions, readStats } from "../interfaces/observable.js";
import type { StatusSource } from "./cluster-status.js";
import { statMetric } from "./stat-metric.js";

export { metricSuffix } from "./stat-metric.js";

/** What the metrics read besides the status source: event counts since start (not only the retained history). */
export interface MetricsSource extends StatusSource {
  eventCounts(): Readonly<Record<MembershipEventType, number>>;
  /** Latency histograms of the groups (none: not exported). */
  readonly instruments?: ClusterInstruments;
  /** Ejected peers (none: not exported). */
  readonly outliers?: PeerOutliers;
  /** Gossiped invalidations (none: the HTTP fan-out, not exported). */
  readonly invalidation?: { stats(): Readonly<InvalidationStats> } | undefined;
}

const INVALIDATION_COUNTERS: readonly (readonly [keyof InvalidationStats, string, string])[] = [
  ["messagesSent", "cachecluster_invalidation_messages_sent_total", "Invalidation messages this node gossiped (after remove/set)."],
  ["keysSent", "cachecluster_invalidation_keys_sent_total", "Keys in the invalidation messages this node gossiped."],
  ["messagesReceived", "cachecluster_invalidation_messages_received_total", "Invalidation messages received from other members."],
  ["keysReceived", "cachecluster_invalidation_keys_received_total", "Keys in the invalidation messages received."],
  ["duplicates", "cachecluster_invalidation_duplicates_total", "Copies of invalidation messages received before (ignored)."],
  ["relayed", "cachecluster_invalidation_relayed_total", "Received invalidation messages this node gossiped on (once each)."],
  ["copiesDropped", "cachecluster_invalidation_copies_dropped_total", "Received invalidations that dropped a copy held here."],
  ["unknownGroup", "cachecluster_invalidation_unknown_group_total", "Received invalidated keys of a group this node does not have."],
  ["unsupported", "cachecluster_invalidation_unsupported_total", "Invalidation messages of a format this version does not know (ignored)."],
  ["malformed", "cachecluster_invalidation_malformed_total", "Invalidation messages that did not decode (ignored)."],
  ["tooLong", "cachecluster_invalidation_too_long_total", "Keys too long to gossip, invalidated over HTTP instead."],
];

type HistogramSample = readonly [Labels, Histogram];

type Labels = Record<string, string>;
type Sample = readonly [Labels, number];

const GROUP_COUNTERS: readonly (readonly [keyof GroupStats, string, string])[] = [
  ["gets", "cachecluster_group_gets_total", "Get requests, including those from peers."],
  ["cacheHits", "cachecluster_group_cache_hits_total", "Gets served from the main or hot cache."],
  ["peerLoads", "cachecluster_group_peer_loads_total", "Values fetched from the owning peer."],
  ["peerErrors", "cachecluster_group_peer_errors_total", "Failed peer fetches (each followed by a local load)."],
  ["loads", "cachecluster_group_loads_total", "Gets that missed the caches (before singleflight)."],
  ["loadsDeduped", "cachecluster_group_loads_deduped_total", "Loads after singleflight de-duplication: the actual executions."],
  ["localLoads", "cachecluster_group_local_loads_total", "Successful loads by this node's loader."],
  ["localLoadErrs", "cachecluster_group_local_load_errors_total", "Failed loads by this node's loader."],
  ["serverRequests", "cachecluster_group_server_requests_total", "Gets that came from peers over the network."],
  ["batchGets", "cachecluster_group_batch_gets_total", "getMany calls (their keys count as gets too)."],
  ["peerBatches", "cachecluster_group_peer_batches_total", "Batched fetches sent to owning peers by getMany (one per owner and call)."],
];

/**
 * Above this many ring peers only this node's own share is exported: every node exporting every member's
 * share would be fleet size² series (a million at 1,000 nodes); the own shares of all nodes say the same.
 */
export const RING_SHARE_SERIES_LIMIT = 100;

const MEMBER_STATES: readonly MemberState[] = ["alive", "suspect", "dead", "left"];
const EVENT_TYPES: readonly MembershipEventType[] = ["join", "leave", "fail", "update"];
const ROLES = ["transport", "membership", "discovery"] as const;
type Role = (typeof ROLES)[number];

/**
 * Prometheus metrics of one cluster, in their own prom-client `Registry` (never the global one, so two
 * clusters in one process, or the application's own metrics, do not collide). Values are read on scrape
 * from the groups' counters, the stores, the ring and membership; nothing is counted twice.
 *
 * Components that implement `Observable` (`stats()`) are exported as `cachecluster_<role>_<key>`.
 * To serve these next to the application's metrics: `Registry.merge([register, cluster.metrics.registry])`
 * (call `cluster.metrics.sync()` first if components add stats keys after start).
 */
export class PrometheusMetrics implements ClusterMetrics {
  readonly registry = new Registry();
  readonly #source: MetricsSource;
  readonly #dynamic = new Set<string>();

  constructor(source: MetricsSource) {
    this.#source = source;
    const group = (pick: (g: GroupStats) => number) => (): Sample[] => source.groups().map((g) => [{ group: g.name }, pick(g.stats)]);
    for (const [key, name, help] of GROUP_COUNTERS)
      this.#counter(
        name,
        help,
        ["group"],
        group((s) => s[key]),
      );
    this.#gauge("cachecluster_group_max_bytes", "Byte budget of the group (main + hot).", ["group"], () =>
      source.groups().map((g) => [{ group: g.name }, g.maxBytes]),
    );
    const caches = (pick: (c: ReturnType<MetricsSource["groups"]>[number], kind: "main" | "hot") => number) => (): Sample[] =>
      source.groups().flatMap((g) => (["main", "hot"] as const).map((kind): Sample => [{ group: g.name, kind }, pick(g, kind)]));
    this.#gauge(
      "cachecluster_cache_bytes",
      "Bytes held by the cache (keys + values + per-entry overhead).",
      ["group", "kind"],
      caches((g, k) => g.cacheStats(k).bytes),
    );
    this.#gauge(
      "cachecluster_cache_items",
      "Entries in the cache.",
      ["group", "kind"],
      caches((g, k) => g.cacheStats(k).items),
    );
    this.#counter(
      "cachecluster_cache_gets_total",
      "Lookups in the cache.",
      ["group", "kind"],
      caches((g, k) => g.cacheStats(k).gets),
    );
    this.#counter(
      "cachecluster_cache_hits_total",
      "Lookups that found a live entry.",
      ["group", "kind"],
      caches((g, k) => g.cacheStats(k).hits),
    );
    this.#counter(
      "cachecluster_cache_evictions_total",
      "Entries evicted to stay within the byte budget.",
      ["group", "kind"],
      caches((g, k) => g.cacheStats(k).evictions),
    );
    this.#gauge("cachecluster_members", "Members by state as membership reports them (self included).", ["state"], () => {
      const counts = new Map<string, number>(MEMBER_STATES.map((s) => [s, 0]));
      for (const m of source.members()) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
      return [...counts].map(([state, n]): Sample => [{ state }, n]);
    });
    this.#gauge(
      "cachecluster_ring_share",
      `Share of the hash space each ring peer owns on this node's ring (0..1); only this node's own share when the ring has more than ${RING_SHARE_SERIES_LIMIT} peers.`,
      ["member", "url"],
      () => {
        const ids = new Map(source.members().map((m) => [m.cacheUrl, m.id]));
        const shares = [...source.picker.ring.shares()];
        const self = source.picker.self;
        const shown = shares.length > RING_SHARE_SERIES_LIMIT ? shares.filter(([url]) => url === self) : shares;
        return shown.map(([url, share]): Sample => [{ member: ids.get(url) ?? url, url }, share]);
      },
    );
    this.#gauge("cachecluster_ring_peers", "Peers on this node's hash ring (self included).", [], () => [[{}, source.picker.ring.size]]);
    this.#counter("cachecluster_membership_events_total", "Membership events observed by this node.", ["type"], () => {
      const counts = source.eventCounts();
      return EVENT_TYPES.map((type): Sample => [{ type }, counts[type]]);
    });
    this.#gauge("cachecluster_uptime_seconds", "Seconds since this cluster object was created.", [], () => [[{}, (Date.now() - source.startedAt) / 1000]]);
    this.#gauge("cachecluster_node_info", "Always 1; labels name this node.", ["name", "url"], () => [
      [{ name: source.local.name, url: source.local.cacheUrl }, 1],
    ]);
    const invalidation = source.invalidation;
    if (invalidation !== undefined)
      for (const [key, name, help] of INVALIDATION_COUNTERS) this.#counter(name, help, [], () => [[{}, invalidation.stats()[key]]]);
    this.#latencyMetrics();
    this.sync();
  }

  /** Histograms of get, load and peer fetch latency; peer fetch errors, ejections and skips per peer. */
  #latencyMetrics(): void {
    const { instruments, outliers } = this.#source;
    if (instruments !== undefined) {
      this.#histogram(
        "cachecluster_get_duration_seconds",
        "Duration of group.get() by outcome: hit (a cache hit; answered synchronously, so counted in the lowest bucket and not timed unless found by a load's re-check), peer (fetched from the key's owner), load (loaded here), error.",
        () =>
          this.#source.groups().flatMap((g) => {
            const family = instruments.gets.get(g.name);
            const timedHits = family?.get("hit");
            const hits = timedHits?.clone() ?? new Histogram();
            hits.addInstant(Math.max(0, g.stats.cacheHits - (timedHits?.count ?? 0)));
            const out: HistogramSample[] = [[{ group: g.name, outcome: "hit" }, hits]];
            for (const outcome of ["peer", "load", "error"]) {
              const h = family?.get(outcome);
              if (h !== undefined) out.push([{ group: g.name, outcome }, h]);
            }
            return out;
          }),
      );
      this.#histogram("cachecluster_load_duration_seconds", "Duration of this node's loader calls by result (ok, error).", () =>
        [...instruments.loads].flatMap(([group, family]) => [...family.entries()].map(([result, h]): HistogramSample => [{ group, result }, h])),
      );
      this.#histogram(
        "cachecluster_peer_fetch_duration_seconds",
        'Duration of fetches from the owning peer, failed ones included, by peer (peer="other" past 100 peers).',
        () => [...instruments.peerFetches.entries()].map(([peer, h]): HistogramSample => [{ peer }, h]),
      );
      this.#counter(
        "cachecluster_peer_fetch_errors_total",
        "Failed fetches from the owning peer by peer and kind: timeout, unreachable, server_error (5xx), bad_response, other.",
        ["peer", "kind"],
        () => [...instruments.peerErrors].flatMap(([peer, kinds]) => [...kinds].map(([kind, n]): Sample => [{ peer, kind }, n])),
      );
    }
    if (outliers !== undefined) {
      this.#counter("cachecluster_peer_ejections_total", "Times a failing peer was ejected: skipped, its keys loaded here, for a cooling-off.", ["peer"], () =>
        [...outliers.ejectionsTotal].map(([peer, n]): Sample => [{ peer }, n]),
      );
      this.#counter("cachecluster_peer_fetches_skipped_total", "Fetches not made because their peer was ejected (the key was loaded here).", ["peer"], () =>
        [...outliers.skippedTotal].map(([peer, n]): Sample => [{ peer }, n]),
      );
      this.#gauge("cachecluster_peer_ejected", "1 for each peer that is ejected now (skipped, or probed by one fetch).", ["peer"], () =>
        outliers.ejected().map((e): Sample => [{ peer: e.peer }, 1]),
      );
    }
  }

  #histogram(name: string, help: string, sample: () => Iterable<HistogramSample>): void {
    const metric = {
      name,
      help,
      type: "histogram",
      aggregator: "sum",
      get: async () => {
        const values: { labels: Labels; value: number; metricName: string }[] = [];
        for (const [labels, h] of sample()) {
          for (const [le, count] of h.cumulative()) values.push({ labels: { ...labels, le }, value: count, metricName: `${name}_bucket` });
          values.push({ labels, value: h.sum, metricName: `${name}_sum` }, { labels, value: h.count, metricName: `${name}_count` });
        }
        return { name, help, type: "histogram", aggregator: "sum", values };
      },
    };
    this.registry.registerMetric(metric as unknown as Metric);
  }

  /** Prometheus text exposition format (version 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Registers metrics for stats keys components reported since the last call (`metrics()` calls it). */
  sync(): void {
    for (const role of ROLES) {
      const component = this.#component(role);
      const descriptions = readStatDescriptions(component);
      for (const key of Object.keys(readStats(component) ?? {})) {
        const metric = statMetric(role, key, component?.constructor.name ?? "component", descriptions[key]);
        if (this.#dynamic.has(metric.name)) continue;
        if (this.registry.getSingleMetric(metric.name) !== undefined) continue; // a core metric of that name wins
        this.#dynamic.add(metric.name);
        const sample = (): Sample[] => {
          const value = readStats(this.#component(role))?.[key];
          return value === undefined ? [] : [[{}, value * metric.scale]];
        };
        if (metric.type === "counter") this.#counter(metric.name, metric.help, [], sample);
        else this.#gauge(metric.name, metric.help, [], sample);
      }
    }
  }

  /** The exposition text of every metric, collected now. */
  async metrics(): Promise<string> {
    this.sync();
    return this.registry.metrics();
  }

  #component(role: Role): object | undefined {
    return this.#source[role];
  }

  #counter(name: string, help: string, labelNames: readonly string[], sample: () => Iterable<Sample>): void {
    const counter: Counter = new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        counter.reset();
        for (const [labels, value] of sample()) if (Number.isFinite(value) && value >= 0) counter.inc(labels, value);
      },
    });
  }

  #gauge(name: string, help: string, labelNames: readonly string[], sample: () => Iterable<Sample>): void {
    const gauge: Gauge = new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        gauge.reset();
        for (const [labels, value] of sample()) if (Number.isFinite(value)) gauge.set(labels, value);
      },
    });
  }
}
