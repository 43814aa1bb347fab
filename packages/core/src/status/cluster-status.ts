import type { Group } from "../interfaces/group.js";
import type { GroupStats } from "../engine/stats.js";
import type { Discovery } from "../interfaces/discovery.js";
import type { LocalNode } from "../interfaces/local-node.js";
import type { Member, MemberState, Membership, MembershipEvent, MembershipEventType } from "../interfaces/membership.js";
import { readDiagnosis, readLastError } from "../interfaces/diagnosable.js";
import { readStats } from "../interfaces/observable.js";
import type { EjectedPeer, PeerOutliers } from "../engine/peer-outliers.js";
import type { GroupRates, RateTracker } from "./rates.js";
import { VERSION } from "./version.js";
import type { StoreStats } from "../interfaces/store.js";
import type { Transport } from "../interfaces/transport.js";
import type { HashRing } from "../ring/hash-ring.js";

/** What the status page and `cluster.status()` read from a cluster (a `ClusterNode` is one). */
export interface StatusSource {
  readonly local: LocalNode;
  readonly url: string | undefined;
  /** `Date.now()` when the cluster was created. */
  readonly startedAt: number;
  readonly state: string;
  readonly picker: { readonly self: string; readonly ring: HashRing };
  readonly membership: Membership;
  readonly transport?: Transport | undefined;
  readonly discovery?: Discovery | undefined;
  members(): readonly Member[];
  events(): readonly MembershipEvent[];
  groups(): readonly Group[];
  /** The config in effect, secrets redacted (`CacheClusterConfig.effective()`). */
  readonly config?: { effective(): Record<string, Record<string, unknown>> };
  readonly outliers?: PeerOutliers;
  readonly rates?: RateTracker;
  /** Why the node is alone on its ring, when it is and has a discovery. */
  localModeReason?(): string | undefined;
}

export interface MemberStatus {
  readonly id: string;
  readonly address: string;
  readonly cacheUrl: string;
  readonly state: MemberState;
  readonly incarnation: number;
  /** This node. */
  readonly self: boolean;
  /** Share of the hash space this member owns on this node's ring (0..1); 0 when not on the ring. */
  readonly share: number;
}

export interface CacheStatus extends StoreStats {
  /** hits / gets, null before the first get. */
  readonly hitRatio: number | null;
}

export interface GroupStatus {
  readonly name: string;
  readonly maxBytes: number;
  readonly stats: GroupStats;
  /** cacheHits / gets, null before the first get. */
  readonly hitRatio: number | null;
  readonly caches: { readonly main: CacheStatus; readonly hot: CacheStatus };
  /** The counters per second over the status' rate window; null until there is one (the second read). */
  readonly ratesPerSecond: GroupRates | null;
}

export interface EventStatus {
  readonly type: MembershipEventType;
  readonly at: number;
  readonly member: { readonly id: string; readonly cacheUrl: string; readonly state: MemberState; readonly incarnation: number };
}

export interface ComponentStatus {
  /** Class name of the implementation, e.g. `HttpTransport`. */
  readonly kind: string;
  /** Its `stats()` where it implements `Observable`. */
  readonly stats: Readonly<Record<string, number>> | null;
  /** What keeps it from doing its job now (`Diagnosable.diagnose()`), or null. */
  readonly problem: string | null;
  /** Its latest failure, also after recovery (`Diagnosable.lastError()`), or null. */
  readonly lastError: { readonly message: string; readonly at: number } | null;
}

/** A member this node saw fail or leave (from its membership events), not a member now. */
export interface DepartedStatus {
  readonly id: string;
  readonly cacheUrl: string;
  readonly state: "dead" | "left";
  readonly at: number;
}

/** The JSON of `/_cachecluster/status.json` and `cluster.status()`. */
export interface ClusterStatus {
  /** Bumped when a field changes meaning or disappears. */
  readonly version: 1;
  readonly generatedAt: number;
  readonly node: {
    readonly name: string;
    readonly host: string;
    /** Base URL of this node's cache server as peers reach it. */
    readonly url: string;
    readonly startedAt: number;
    readonly uptimeMs: number;
    /** idle (before listen), starting, listening, stopping, stopped. */
    readonly state: string;
    /** `@cachecluster/core`'s version. */
    readonly version: string;
    /** `process.version`. */
    readonly nodeVersion: string;
  };
  /** Why this node is in local mode although it has a discovery; null when clustered or local on purpose. */
  readonly localModeReason: string | null;
  /** Members that failed or left, as this node's recent events tell (newest first). */
  readonly departed: readonly DepartedStatus[];
  /** Peers skipped now for failing (outlier ejection). */
  readonly ejectedPeers: readonly EjectedPeer[];
  /** Length of the window `ratesPerSecond` cover, ms; null before the first window. */
  readonly rateWindowMs: number | null;
  /** The config in effect by section, secrets shown as `<redacted>`. */
  readonly config: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** `local` while this node is alone on its ring (it loads everything itself), else `clustered`. */
  readonly mode: "local" | "clustered";
  /** Members as membership reports them (alive and suspect), this node first, then by id. */
  readonly members: readonly MemberStatus[];
  readonly ring: {
    readonly replicas: number;
    readonly peers: readonly { readonly url: string; readonly member: string | null; readonly share: number }[];
  };
  readonly groups: readonly GroupStatus[];
  /** The latest membership events, newest first. */
  readonly events: readonly EventStatus[];
  readonly components: {
    readonly transport: ComponentStatus | null;
    readonly membership: ComponentStatus | null;
    readonly discovery: ComponentStatus | null;
  };
}

/** A snapshot of a cluster's state for the status page. Cheap: no I/O, O(members + groups + ring points). */
export function collectStatus(source: StatusSource, now = Date.now()): ClusterStatus {
  const ring = source.picker.ring;
  const shares = ring.shares();
  const members = source.members();
  const byUrl = new Map(members.map((m) => [m.cacheUrl, m]));
  const selfUrl = source.picker.self;
  const groups = source.groups();
  const rates = source.rates?.read(now, groups);
  const current = new Set(members.map((m) => m.id));
  const departed = new Map<string, DepartedStatus>();
  for (const e of source.events()) {
    if (e.type === "fail" || e.type === "leave")
      departed.set(e.member.id, { id: e.member.id, cacheUrl: e.member.cacheUrl, state: e.type === "fail" ? "dead" : "left", at: e.at });
    else departed.delete(e.member.id);
  }
  const memberStatus = members
    .map((m): MemberStatus => ({
      id: m.id,
      address: m.address,
      cacheUrl: m.cacheUrl,
      state: m.state,
      incarnation: m.incarnation,
      self: m.cacheUrl === selfUrl,
      share: shares.get(m.cacheUrl) ?? 0,
    }))
    .sort((a, b) => (a.self === b.self ? compare(a.id, b.id) : a.self ? -1 : 1));
  return {
    version: 1,
    generatedAt: now,
    node: {
      name: source.local.name,
      host: source.local.host,
      url: source.local.cacheUrl,
      startedAt: source.startedAt,
      uptimeMs: Math.max(0, now - source.startedAt),
      state: source.state,
      version: VERSION,
      nodeVersion: process.version,
    },
    localModeReason: source.localModeReason?.() ?? null,
    departed: [...departed.values()].filter((d) => !current.has(d.id)).reverse(),
    ejectedPeers: source.outliers?.ejected() ?? [],
    rateWindowMs: rates?.windowMs ?? null,
    config: source.config?.effective() ?? {},
    mode: ring.size > 1 ? "clustered" : "local",
    members: memberStatus,
    ring: {
      replicas: ring.replicas,
      peers: ring.peers.map((url) => ({ url, member: byUrl.get(url)?.id ?? null, share: shares.get(url) ?? 0 })),
    },
    groups: groups.map((g) => groupStatus(g, rates?.byGroup.get(g.name))),
    events: source
      .events()
      .map((e): EventStatus => ({
        type: e.type,
        at: e.at,
        member: { id: e.member.id, cacheUrl: e.member.cacheUrl, state: e.member.state, incarnation: e.member.incarnation },
      }))
      .reverse(),
    components: {
      transport: componentStatus(source.transport),
      membership: componentStatus(source.membership),
      discovery: componentStatus(source.discovery),
    },
  };
}

function groupStatus(group: Group, rates: GroupRates | undefined): GroupStatus {
  const stats = { ...group.stats };
  return {
    name: group.name,
    maxBytes: group.maxBytes,
    stats,
    hitRatio: ratio(stats.cacheHits, stats.gets),
    caches: { main: cacheStatus(group.cacheStats("main")), hot: cacheStatus(group.cacheStats("hot")) },
    ratesPerSecond: rates ?? null,
  };
}

function cacheStatus(stats: StoreStats): CacheStatus {
  return { bytes: stats.bytes, items: stats.items, gets: stats.gets, hits: stats.hits, evictions: stats.evictions, hitRatio: ratio(stats.hits, stats.gets) };
}

function componentStatus(component: object | undefined): ComponentStatus | null {
  if (component === undefined) return null;
  return {
    kind: component.constructor.name || "anonymous",
    stats: readStats(component) ?? null,
    problem: readDiagnosis(component) ?? null,
    lastError: readLastError(component) ?? null,
  };
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
