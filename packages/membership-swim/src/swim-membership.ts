import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import {
  InvalidArgumentError,
  silentLogger,
  type CacheClusterConfig,
  type DiscoveredPeer,
  type LocalNode,
  type Logger,
  type Member,
  type MemberState,
  type Membership,
  type MembershipEvent,
  type Unsubscribe,
} from "@cachecluster/core";
import { systemClock, joinHostPort, splitHostPort, type Clock, type SwimNetwork } from "./net/network.js";
import { udpTcpNetwork } from "./net/udp-tcp-network.js";
import { swimOptions, type SwimOptions, type SwimOptionsInput } from "./options.js";
import type { SwimNodeConfig } from "./protocol/config.js";
import { decodeMeta, encodeMeta } from "./protocol/meta.js";
import type { NodeEvent, NodeState } from "./protocol/node-state.js";
import type { SwimStats } from "./protocol/stats.js";
import { SwimNode } from "./protocol/swim-node.js";
import { Keyring, NodeStateType } from "./wire/index.js";

export interface SwimMembershipDeps {
  /** This node: name, host and cache URL (read at `start()`, when the cluster has filled it). */
  readonly local: LocalNode;
  /** The `[cluster]` config section, for values the options leave unset. */
  readonly cluster?: Partial<CacheClusterConfig["cluster"]>;
  readonly logger?: Logger;
  /** Datagram + stream network; default real UDP/TCP. */
  readonly network?: SwimNetwork;
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
}

/**
 * Membership by SWIM gossip with Lifeguard, wire-compatible with hashicorp/memberlist 0.2.2: Go
 * memberlist members and these share one cluster. The member's cache URL travels in its metadata as
 * JSON `{"cacheUrl": "..."}`.
 */
export class SwimMembership implements Membership {
  readonly options: SwimOptions;
  readonly #deps: SwimMembershipDeps;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #node: SwimNode;
  readonly #listeners = new Set<(event: MembershipEvent) => void>();
  readonly #defaultPort: number;
  #state: "idle" | "starting" | "running" | "stopped" = "idle";

  constructor(options: SwimOptionsInput = {}, deps: SwimMembershipDeps) {
    const parsed = swimOptions.safeParse(options);
    if (!parsed.success) {
      throw new InvalidArgumentError(
        `invalid swimMembership options: ${parsed.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; ")}`,
      );
    }
    this.options = parsed.data;
    this.#deps = deps;
    this.#logger = deps.logger ?? silentLogger;
    this.#clock = deps.clock ?? systemClock;
    const cluster = deps.cluster ?? {};
    const o = this.options;
    const port = o.port ?? cluster.port ?? 7946;
    this.#defaultPort = port;
    const advertise = parseAdvertise(o.advertise ?? cluster.advertise ?? deps.local.host);
    const keys = (o.secretKeys ?? cluster.secret_keys ?? []).map((k, i) => decodeKey(k, i));
    const [primary, ...rest] = keys;
    const config: SwimNodeConfig = {
      probeIntervalMs: o.probeIntervalMs ?? cluster.heartbeat ?? 1000,
      probeTimeoutMs: o.probeTimeoutMs,
      indirectChecks: o.indirectChecks,
      retransmitMult: o.retransmitMult,
      suspicionMult: o.suspicionMult,
      suspicionMaxTimeoutMult: o.suspicionMaxTimeoutMult,
      pushPullIntervalMs: o.pushPullIntervalMs,
      gossipIntervalMs: o.gossipIntervalMs,
      gossipNodes: o.gossipNodes,
      gossipToTheDeadMs: o.gossipToTheDeadMs,
      awarenessMaxMultiplier: o.awarenessMaxMultiplier,
      tcpTimeoutMs: o.tcpTimeoutMs,
      udpBufferSize: o.udpBufferSize,
      disableTcpPings: o.disableTcpPings,
      compress: o.compress,
      reconnectIntervalMs: o.reconnectIntervalMs,
      reconnectTimeoutMs: o.reconnectTimeoutMs,
      name: o.name ?? cluster.name ?? deps.local.name,
      bindHost: o.host ?? cluster.host ?? "0.0.0.0",
      bindPort: port,
      advertiseHost: advertise.host,
      advertisePort: advertise.port,
      meta: new Uint8Array(0),
      keyring: primary === undefined ? undefined : new Keyring(primary, rest),
      verifyIncoming: o.verifyIncoming,
      verifyOutgoing: o.verifyOutgoing,
      network: deps.network ?? udpTcpNetwork(),
      clock: this.#clock,
      random: deps.random ?? Math.random,
      logger: this.#logger,
    };
    this.#node = new SwimNode(config);
    this.#node.onEvent((event) => this.#onNodeEvent(event));
  }

  /** The port UDP and TCP are bound on (after `start()`). */
  get port(): number {
    return this.#node.boundPort;
  }

  /** `host:port` other members reach this one on (after `start()`). */
  get address(): string {
    return this.#node.address;
  }

  async start(): Promise<void> {
    if (this.#state !== "idle") return;
    this.#state = "starting";
    this.#node.config.meta = encodeMeta(this.#deps.local.cacheUrl);
    try {
      await this.#node.start();
      this.#state = "running";
    } catch (error) {
      this.#state = "idle";
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    await this.#node.shutdown();
  }

  self(): Member {
    const self = this.#node.self();
    if (self === undefined) {
      return { id: this.#node.config.name, address: this.#node.address, cacheUrl: this.#deps.local.cacheUrl, state: "alive", incarnation: 0 };
    }
    return toMember(self);
  }

  members(): readonly Member[] {
    if (this.#node.self() === undefined) return [this.self()];
    const out: Member[] = [];
    for (const node of this.#node.nodes()) {
      if (node.state === NodeStateType.Alive || node.state === NodeStateType.Suspect) out.push(toMember(node));
    }
    return out;
  }

  /** How many members `members()` would list, without building the list. */
  memberCount(): number {
    if (this.#node.self() === undefined) return 1;
    let count = 0;
    for (const node of this.#node.nodes()) if (node.state === NodeStateType.Alive || node.state === NodeStateType.Suspect) count++;
    return count;
  }

  /** The member of that name as this node sees it (any state), or undefined when unknown or reaped. */
  member(id: string): Member | undefined {
    const node = this.#node.node(id);
    return node === undefined ? undefined : toMember(node);
  }

  /** Every member known, dead and left ones included until they are reaped. */
  allMembers(): readonly Member[] {
    return this.#node.nodes().map(toMember);
  }

  async join(peers: readonly DiscoveredPeer[]): Promise<number> {
    if (this.#state !== "running") return 0;
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
      if (address !== this.#node.address) addresses.push(address);
    }
    if (addresses.length === 0) return 0;
    return this.#node.join([...new Set(addresses)]);
  }

  async leave(timeoutMs: number = this.options.leaveTimeoutMs): Promise<void> {
    if (this.#state !== "running") return;
    await this.#node.leave(timeoutMs);
  }

  /** Announce a new cache URL (memberlist's UpdateNode): others see an "update" event. */
  updateCacheUrl(cacheUrl: string): void {
    this.#node.updateMeta(encodeMeta(cacheUrl));
  }

  onEvent(listener: (event: MembershipEvent) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stats(): SwimMembershipStats {
    return {
      ...this.#node.stats.snapshot(),
      members: this.memberCount(),
      healthScore: this.#node.healthScore,
      queuedBroadcasts: this.#node.queuedBroadcasts,
    };
  }

  /** @internal simulation support, see `settleMembers`. */
  get protocolNode(): SwimNode {
    return this.#node;
  }

  #onNodeEvent(event: NodeEvent): void {
    if (event.node.name === this.#node.config.name) return;
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
export function settleMembers(members: readonly SwimMembership[]): void {
  const states = members.flatMap((m) => m.protocolNode.selfState());
  for (const m of members) m.protocolNode.installSettledView(states);
}
