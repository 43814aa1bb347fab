import type { Group } from "../interfaces/group.js";
import type { GroupStats } from "../engine/stats.js";
import type { Discovery } from "../interfaces/discovery.js";
import type { LocalNode } from "../interfaces/local-node.js";
import type { Member, MemberState, Membership, MembershipEvent, MembershipEventType } from "../interfaces/membership.js";
import { readStats } from "../interfaces/observable.js";
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
  };
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
    },
    mode: ring.size > 1 ? "clustered" : "local",
    members: memberStatus,
    ring: {
      replicas: ring.replicas,
      peers: ring.peers.map((url) => ({ url, member: byUrl.get(url)?.id ?? null, share: shares.get(url) ?? 0 })),
    },
    groups: source.groups().map(groupStatus),
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

function groupStatus(group: Group): GroupStatus {
  const stats = { ...group.stats };
  return {
    name: group.name,
    maxBytes: group.maxBytes,
    stats,
    hitRatio: ratio(stats.cacheHits, stats.gets),
    caches: { main: cacheStatus(group.cacheStats("main")), hot: cacheStatus(group.cacheStats("hot")) },
  };
}

function cacheStatus(stats: StoreStats): CacheStatus {
  return { bytes: stats.bytes, items: stats.items, gets: stats.gets, hits: stats.hits, evictions: stats.evictions, hitRatio: ratio(stats.hits, stats.gets) };
}

function componentStatus(component: object | undefined): ComponentStatus | null {
  if (component === undefined) return null;
  return { kind: component.constructor.name || "anonymous", stats: readStats(component) ?? null };
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
