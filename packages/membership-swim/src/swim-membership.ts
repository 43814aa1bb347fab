import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import {
  CacheClusterError,
  InvalidArgumentError,
  joinHostPort,
  parseOptions,
  silentLogger,
  splitHostPort,
  systemClock,
  type Clock,
  type ClusterSettings,
  type DatagramNetwork,
  type Diagnosable,
  type DiscoveredPeer,
  type LocalNode,
  type Logger,
  type Member,
  type MemberState,
  type Membership,
  type MembershipBroadcast,
  type MembershipEvent,
  type StatDescription,
  type Unsubscribe,
} from "@cachecluster/core";
import type { SwimClusterKeys } from "./cluster-keys.js";
import type { SwimJoinError } from "./errors.js";
import { udpTcpNetwork } from "./net/udp-tcp-network.js";
import { swimOptions, type SwimOptions, type SwimOptionsInput } from "./options.js";
import { maxUserPayload } from "./protocol/broadcasts.js";
import { peerFromAlive, peerFromNode, peerFromPushState } from "./peer.js";
import { protocolTimings, type SwimNodeConfig } from "./protocol/config.js";
import type { NodeDelegate } from "./protocol/delegate.js";
import type { SwimIssue } from "./protocol/diagnostics.js";
import { decodeMeta, encodeMeta } from "./protocol/meta.js";
import type { NodeEvent, NodeState } from "./protocol/node-state.js";
import { ProtocolStats, type SwimStats } from "./protocol/stats.js";
import { SwimNode } from "./protocol/swim-node.js";
import { SWIM_STAT_DESCRIPTIONS } from "./stat-descriptions.js";
import { Keyring, NodeStateType, type PushNodeState } from "./wire/index.js";

/** The protocol node of a started member (set by the class's static block; module-internal). */
let protocolNodeOf: (m: SwimMembership) => SwimNode;

export interface SwimMembershipDeps {
  /**
   * This node, for use without a cluster: `start()` with no argument takes it. A cluster passes its node to
   * `start(local)` once its cache server listens.
   */
  readonly local?: LocalNode;
  /** `[cluster]` values for what the options leave unset (the cluster gives core's keys and membership-swim's). */
  readonly cluster?: Partial<ClusterSettings & SwimClusterKeys>;
  readonly logger?: Logger;
  /** Datagram + stream network; default real UDP/TCP. */
  readonly network?: DatagramNetwork;
  /** Clock; default the system clock. */
  readonly clock?: Clock;
  /** Random numbers in [0, 1); default Math.random. */
  readonly random?: () => number;
}

/** Counters of a SWIM member, plus its current view. */
export interface SwimMembershipStats extends SwimStats {
  readonly members: number;
  readonly healthScore: number;
  readonly queuedBroadcasts: number;
  /** User messages (`broadcast()`) waiting to be piggybacked. */
  readonly queuedUserBroadcasts: number;
  /** 1 while gossip from another member cannot be read for key or encryption reasons (`diagnose()` says which), else 0. */
  readonly gossipKeyMismatch: 0 | 1;
  /** 1 while UDP between members looks blocked (probes reach members only through the TCP fallback ping), else 0. */
  readonly udpUnreachable: 0 | 1;
  /** Live members whose latest successful probe reached them only over TCP. */
  readonly tcpOnlyMembers: number;
}

/**
 * Membership by SWIM gossip with Lifeguard, wire-compatible with hashicorp/memberlist 0.2.2: Go
 * memberlist members and these share one cluster. The member's cache URL travels in its metadata as
 * JSON `{"cacheUrl": "..."}`. Options are checked at construction; the protocol starts with `start(local)`.
 */
export class SwimMembership implements Membership, MembershipBroadcast, Diagnosable {
  readonly options: SwimOptions;
  readonly #deps: SwimMembershipDeps;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #listeners = new Set<(event: MembershipEvent) => void>();
  readonly #messageListeners = new Set<(payload: Uint8Array, from: string | undefined) => void>();
  readonly #defaultPort: number;
  readonly #advertise: { host: string; port: number | undefined } | undefined;
  readonly #keyring: Keyring | undefined;
  #node: SwimNode | undefined;
  #local: LocalNode | undefined;
  #state: "idle" | "starting" | "running" | "stopped" = "idle";
  /** Cache URLs of peers that cannot be joined, with the gossip address assumed for them. */
  readonly #unjoinable = new Map<string, string>();

  constructor(options: SwimOptionsInput = {}, deps: SwimMembershipDeps = {}) {
    this.options = parseOptions(swimOptions, options, "swimMembership options");
    this.#deps = deps;
    this.#logger = deps.logger ?? silentLogger;
    this.#clock = deps.clock ?? systemClock;
    const cluster = deps.cluster ?? {};
    const o = this.options;
    this.#defaultPort = o.port ?? cluster.port ?? 7946;
    const advertise = o.advertise ?? cluster.advertise;
    this.#advertise = advertise === undefined ? undefined : parseAdvertise(advertise);
    const keys = (o.secretKeys ?? cluster.secret_keys ?? []).map((k, i) => decodeKey(k, i));
    const [primary, ...rest] = keys;
    this.#keyring = primary === undefined ? undefined : new Keyring(primary, rest);
  }

  /**
   * Largest payload `broadcast()` and `sendBestEffort()` accept, in bytes: what one datagram carries beside
   * its framing (udpBufferSize less the compound and userMsg headers and, when encrypting, the encryption's).
   */
  get maxBroadcastBytes(): number {
    return maxUserPayload(this.options.udpBufferSize, this.#keyring !== undefined && this.options.verifyOutgoing);
  }

  /** The port UDP and TCP are bound on (after `start()`). */
  get port(): number {
    return this.#started("port").boundPort;
  }

  /** `host:port` other members reach this one on (after `start()`). */
  get address(): string {
    return this.#started("address").address;
  }

  /** Start gossiping as `local` (default: the `local` given at construction). */
  async start(local: LocalNode | undefined = this.#deps.local): Promise<void> {
    if (this.#state !== "idle") return;
    if (local === undefined) throw new InvalidArgumentError("SwimMembership.start() needs this node (name, host, cacheUrl): pass it, or give deps.local");
    this.#state = "starting";
    this.#local = local;
    const node = new SwimNode(this.#nodeConfig(local));
    node.onEvent((event) => this.#onNodeEvent(event));
    this.#node = node;
    try {
      await node.start();
      this.#state = "running";
    } catch (error) {
      this.#state = "idle";
      this.#node = undefined;
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    const wasIdle = this.#state === "idle";
    this.#state = "stopped";
    if (!wasIdle) await this.#node?.shutdown();
  }

  #nodeConfig(local: LocalNode): SwimNodeConfig {
    const cluster = this.#deps.cluster ?? {};
    const { name, host, probeIntervalMs, verifyIncoming, verifyOutgoing } = this.options;
    const advertise = this.#advertise ?? parseAdvertise(local.host);
    return {
      // The timings alone (a zod object drops the other keys), the period from `[cluster] heartbeat` when unset.
      ...protocolTimings.parse({ ...this.options, probeIntervalMs: probeIntervalMs ?? cluster.heartbeat }),
      name: name ?? cluster.name ?? local.name,
      bindHost: host ?? cluster.host ?? "0.0.0.0",
      bindPort: this.#defaultPort,
      advertiseHost: advertise.host,
      advertisePort: advertise.port,
      meta: encodeMeta(local.cacheUrl),
      keyring: this.#keyring,
      verifyIncoming,
      verifyOutgoing,
      network: this.#deps.network ?? udpTcpNetwork(),
      delegate: this.#delegate(),
      maxUserStateBytes: this.options.maxUserStateBytes,
      maxQueuedBroadcasts: this.options.maxQueuedBroadcasts,
      clock: this.#clock,
      random: this.#deps.random ?? Math.random,
      logger: this.#logger,
    };
  }

  /** The options' hooks and the message listeners, as the protocol calls them (its NodeDelegate). */
  #delegate(): NodeDelegate {
    const { localState, mergeRemoteState, notifyAlive, notifyMerge, notifyConflict } = this.options;
    return {
      notifyMsg: (payload, from) => {
        for (const listener of this.#messageListeners) {
          try {
            listener(payload, from);
          } catch (error) {
            if (this.#node !== undefined) this.#node.stats.delegateErrorsTotal++;
            this.#logger.warn({ err: error }, "swim: a user message listener threw");
          }
        }
      },
      ...(localState === undefined ? {} : { localState }),
      ...(mergeRemoteState === undefined ? {} : { mergeRemoteState }),
      ...(notifyAlive === undefined ? {} : { notifyAlive: (alive) => notifyAlive(peerFromAlive(alive)) }),
      ...(notifyMerge === undefined ? {} : { notifyMerge: (states) => notifyMerge(states.map(peerFromPushState)) }),
      ...(notifyConflict === undefined ? {} : { notifyConflict: (existing, other) => notifyConflict(peerFromNode(existing), peerFromAlive(other)) }),
    };
  }

  /** The protocol node, which exists once `start()` was called. */
  #started(what: string): SwimNode {
    if (this.#node === undefined) throw new CacheClusterError("CACHECLUSTER_NOT_STARTED", `SwimMembership.${what} is known after start()`);
    return this.#node;
  }

  self(): Member {
    const node = this.#started("self()");
    const self = node.self();
    if (self === undefined) {
      return { id: node.config.name, address: node.address, cacheUrl: this.#local?.cacheUrl ?? "", state: "alive", incarnation: 0 };
    }
    return toMember(self);
  }

  members(): readonly Member[] {
    const node = this.#node;
    if (node === undefined) return [];
    if (node.self() === undefined) return [this.self()];
    const out: Member[] = [];
    for (const n of node.nodes()) {
      if (n.state === NodeStateType.Alive || n.state === NodeStateType.Suspect) out.push(toMember(n));
    }
    return out;
  }

  /** How many members `members()` would list, without building the list. */
  memberCount(): number {
    const node = this.#node;
    if (node === undefined) return 0;
    if (node.self() === undefined) return 1;
    let count = 0;
    for (const n of node.nodes()) if (n.state === NodeStateType.Alive || n.state === NodeStateType.Suspect) count++;
    return count;
  }

  /** The member of that name as this node sees it (any state), or undefined when unknown or reaped. */
  member(id: string): Member | undefined {
    const node = this.#node?.node(id);
    return node === undefined ? undefined : toMember(node);
  }

  /** Every member known, dead and left ones included until they are reaped. */
  allMembers(): readonly Member[] {
    return (this.#node?.nodes() ?? []).map(toMember);
  }

  /**
   * Push/pull with each peer (memberlist's Join); resolves with how many answered. Unreachable peers are
   * not an error; peers that answer with what cannot be read (a different gossip key, most likely) are:
   * when no peer answered usably, rejects with a SwimJoinError saying why.
   */
  async join(peers: readonly DiscoveredPeer[]): Promise<number> {
    const node = this.#node;
    if (this.#state !== "running" || node === undefined) return 0;
    const addresses: string[] = [];
    for (const peer of peers) {
      let host = peer.host;
      if (isIP(host) === 0) {
        try {
          host = (await lookup(host)).address;
        } catch (error) {
          this.#logger.debug({ err: error, host }, "swim: cannot resolve a peer");
          continue;
        }
      }
      const address = joinHostPort(host, peer.clusterPort ?? this.#defaultPort);
      const guessed = peer.clusterPort === undefined && peer.cacheUrl !== undefined && peer.cacheUrl !== this.#local?.cacheUrl;
      if (guessed && (this.#defaultPort === 0 || address === node.address)) this.#misaddressed(peer.cacheUrl, address);
      else if (address !== node.address) addresses.push(address);
    }
    if (addresses.length === 0) return 0;
    return node.join([...new Set(addresses)]);
  }

  /**
   * A peer was given as a cache URL only (`staticDiscovery(["http://127.0.0.1:9081"])`): its gossip port was taken
   * to be this node's `[cluster] port`, which on one host is this node's own address, so it can never be joined.
   */
  #misaddressed(cacheUrl: string, address: string): void {
    if (this.#unjoinable.has(cacheUrl)) return;
    this.#unjoinable.set(cacheUrl, address);
    this.#logger.warn(
      { peer: cacheUrl, assumedAddress: address },
      `swim: cannot join ${cacheUrl}: a cache URL gives the peer's cache port, not its gossip port, and ` +
        (this.#defaultPort === 0
          ? `this node's [cluster] port is 0 (any free port), so there is none to assume; `
          : `the assumed ${address} ([cluster] port ${this.#defaultPort}) is this node's own gossip address; `) +
        `give discovery the peers' gossip addresses ` +
        `(host:port of each one's [cluster] port, e.g. staticDiscovery(["127.0.0.1:7946", ...])) or { host, clusterPort, cacheUrl }`,
    );
  }

  /**
   * What keeps this member from working as it should (core's `Diagnosable`, shown on the status page and logged
   * when the node stays alone): gossip that cannot be read (the gossip keys differ), push/pulls that keep
   * failing, UDP blocked between members (membership then runs on the TCP fallback ping), peers given as cache
   * URLs whose assumed gossip address is this node's own.
   */
  diagnose(): string | undefined {
    const problems = this.#node === undefined ? [] : issuesOf(this).map((i) => i.message);
    const unjoinable = this.#unjoinableDiagnosis();
    if (unjoinable !== undefined) problems.push(unjoinable);
    return problems.length === 0 ? undefined : problems.join("; ");
  }

  /**
   * The latest gossip this member could not use (core's `Diagnosable`, shown on the status page): an answer or a
   * datagram that did not decrypt, an error reply; kept after exchanges work again.
   */
  lastError(): { readonly message: string; readonly at: number } | undefined {
    return this.#node?.diagnostics.lastError();
  }

  #unjoinableDiagnosis(): string | undefined {
    if (this.#unjoinable.size === 0) return undefined;
    const urls = [...this.#unjoinable.keys()];
    return (
      `${urls.length} peer(s) were given as cache URLs (${urls.slice(0, 3).join(", ")}${urls.length > 3 ? ", …" : ""}) whose gossip port is unknown; ` +
      `${this.#defaultPort === 0 ? "[cluster] port is 0, so none can be assumed" : `the assumed [cluster] port ${this.#defaultPort} is this node's own`}: list the peers as host:gossip-port`
    );
  }

  async leave(timeoutMs: number = this.options.leaveTimeoutMs): Promise<void> {
    if (this.#state !== "running") return;
    await this.#node?.leave(timeoutMs);
  }

  /** Announce a new cache URL (memberlist's UpdateNode): others see an "update" event. */
  updateCacheUrl(cacheUrl: string): void {
    this.#started("updateCacheUrl()").updateMeta(encodeMeta(cacheUrl));
  }

  onEvent(listener: (event: MembershipEvent) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Gossip `payload` to every member (memberlist's user-message broadcast, message type 8): it is piggybacked
   * on protocol datagrams after membership news and retransmitted `retransmitMult * ceil(log10(N + 1))` times,
   * as membership news is; Go memberlist members get it in their delegate's NotifyMsg. A later broadcast with
   * the same `key` replaces a queued one. Throws an InvalidArgumentError over `maxBroadcastBytes`, a
   * CACHECLUSTER_NOT_STARTED error before `start()`; after `stop()`, does nothing.
   */
  broadcast(payload: Uint8Array, key?: string): void {
    if (this.#state === "stopped") return;
    if (key !== undefined && typeof key !== "string") throw new InvalidArgumentError("expected the key of broadcast() to be a string");
    this.#started("broadcast()").broadcastUser(payload, key);
  }

  /**
   * `payload` to member `memberId` in one datagram, without gossip (memberlist's SendBestEffort): it may be
   * lost. Throws an InvalidArgumentError over `maxBroadcastBytes`, a CACHECLUSTER_MEMBERSHIP_FAILED error
   * when no live member has that id.
   */
  sendBestEffort(memberId: string, payload: Uint8Array): void {
    this.#started("sendBestEffort()").sendBestEffort(memberId, payload);
  }

  /**
   * `payload` to member `memberId` over a TCP stream (memberlist's SendReliable), up to 20 MiB; resolves once
   * it is written, rejects when the member is unknown or cannot be reached within tcpTimeoutMs.
   */
  async sendReliable(memberId: string, payload: Uint8Array): Promise<void> {
    await this.#started("sendReliable()").sendReliable(memberId, payload);
  }

  /**
   * User messages from other members (memberlist's NotifyMsg): broadcasts, and what was sent with
   * `sendBestEffort`/`sendReliable` (or Go's SendBestEffort/SendReliable). `from` is the member the datagram
   * came from (for a broadcast, the member that relayed it); undefined over TCP or from an unknown address.
   * A listener that throws is logged and counted (`delegateErrorsTotal`); the others still run.
   */
  onMessage(listener: (payload: Uint8Array, from: string | undefined) => void): Unsubscribe {
    this.#messageListeners.add(listener);
    return () => this.#messageListeners.delete(listener);
  }

  /** The type, unit and help text of each `stats()` key, for the cluster's Prometheus metrics (core's `Observable`). */
  describeStats(): Readonly<Record<keyof SwimMembershipStats, StatDescription>> {
    return SWIM_STAT_DESCRIPTIONS;
  }

  stats(): SwimMembershipStats {
    const node = this.#node;
    return {
      ...(node?.stats ?? new ProtocolStats()).snapshot(),
      members: this.memberCount(),
      healthScore: node?.healthScore ?? 0,
      queuedBroadcasts: node?.queuedBroadcasts ?? 0,
      queuedUserBroadcasts: node?.queuedUserBroadcasts ?? 0,
      gossipKeyMismatch: node?.diagnostics.keyMismatch() === true ? 1 : 0,
      udpUnreachable: node?.reachability.udpUnreachable === true ? 1 : 0,
      tcpOnlyMembers: node?.reachability.tcpOnlyMembers() ?? 0,
    };
  }

  /**
   * The latest push/pull (a join, a periodic sync, a reconnect) whose answer could not be used, as the
   * error a join would fail with; undefined once an exchange with that member works again.
   */
  get lastJoinError(): SwimJoinError | undefined {
    return this.#node?.diagnostics.lastJoinError();
  }

  /** Simulation support (`settleMembers`), not part of the public surface. */
  static {
    protocolNodeOf = (m) => m.#started("protocolNode");
  }

  #onNodeEvent(event: NodeEvent): void {
    if (event.node.name === this.#node?.config.name) return;
    const member = toMember(event.node);
    const type = event.type === "leave" ? (event.node.state === NodeStateType.Left ? "leave" : "fail") : event.type;
    const at = this.#clock.now();
    for (const listener of this.#listeners) {
      try {
        listener({ type, member, at });
      } catch (error) {
        this.#logger.warn({ err: error }, "swim: a membership listener threw");
      }
    }
  }
}

const STATES: Record<number, MemberState> = { 0: "alive", 1: "suspect", 2: "dead", 3: "left" };

interface CachedMember {
  member: Member;
  state: number;
  incarnation: number;
  meta: Uint8Array;
  ip: string;
  port: number;
}

const memberCache = new WeakMap<NodeState, CachedMember>();

/** The Member for a node state, reused while nothing it shows changed (members() is called often). */
function toMember(node: NodeState): Member {
  const cached = memberCache.get(node);
  if (
    cached !== undefined &&
    cached.incarnation === node.incarnation &&
    cached.state === node.state &&
    cached.meta === node.meta &&
    cached.port === node.port &&
    cached.ip === node.ip
  ) {
    return cached.member;
  }
  const member = createMember(node);
  memberCache.set(node, { member, state: node.state, incarnation: node.incarnation, meta: node.meta, ip: node.ip, port: node.port });
  return member;
}

function createMember(node: NodeState): Member {
  return {
    id: node.name,
    address: joinHostPort(node.ip, node.port),
    cacheUrl: decodeMeta(node.meta),
    state: STATES[node.state] ?? "dead",
    incarnation: node.incarnation,
  };
}

function parseAdvertise(text: string): { host: string; port: number | undefined } {
  if (isIP(text) !== 0) return { host: text, port: undefined };
  const split = splitHostPort(text);
  if (split !== undefined && isIP(split.host) !== 0) return { host: split.host, port: split.port === 0 ? undefined : split.port };
  throw new InvalidArgumentError(`expected advertise to be an IP address or IP:port, got ${JSON.stringify(text)}`);
}

function decodeKey(text: string, index: number): Uint8Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.byteLength !== 16 && bytes.byteLength !== 24 && bytes.byteLength !== 32) {
    throw new InvalidArgumentError(`expected secret key #${index + 1} to be base64 of 16, 24 or 32 bytes, got ${bytes.byteLength} bytes`);
  }
  return new Uint8Array(bytes);
}

/**
 * Simulation support (not exported from the package index): make every started member know every other
 * as alive, with empty broadcast queues, as in a cluster that converged long ago. Forming a 1,000-member
 * cluster by joins costs O(N^2 log N) gossip messages; tests of what happens *after* convergence start here.
 */
/**
 * The problems behind `diagnose()`, each with a stable code (`swim-gossip-key-mismatch`, …), a severity and since
 * when; none before `start()`. Module-internal (tests match on the codes).
 */
export function issuesOf(member: SwimMembership): readonly SwimIssue[] {
  const node = protocolNodeOf(member);
  return [...node.diagnostics.issues(), ...node.reachability.issues()];
}

export function settleMembers(members: readonly SwimMembership[]): void {
  const states = members.flatMap((m) => protocolNodeOf(m).selfState());
  for (const m of members) protocolNodeOf(m).installSettledView(states);
}

/**
 * Simulation and bench support (not exported from the package index): `member` takes `states` as members
 * it has long known, settled (no broadcasts, no events), as `settleMembers` does for a whole cluster.
 */
export function installSettledView(member: SwimMembership, states: readonly PushNodeState[]): void {
  protocolNodeOf(member).installSettledView(states);
}

/** Simulation support (not exported from the package index): a started member's own entry as a push/pull state. */
export function selfState(member: SwimMembership): PushNodeState[] {
  return protocolNodeOf(member).selfState();
}
