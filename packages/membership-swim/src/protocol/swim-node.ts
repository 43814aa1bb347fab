import { CacheClusterError, InvalidArgumentError, joinHostPort } from "@cachecluster/core";
import { SwimJoinError } from "../errors.js";
import {
  MAX_PUSH_STATE_BYTES,
  MessageType,
  NodeStateType,
  encodeStreamUserMsg,
  PROTOCOL_VERSION_2_COMPATIBLE,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  type PushNodeState,
} from "../wire/index.js";
import { bytesToIp, ipToBytes } from "./addr.js";
import { Awareness } from "./awareness.js";
import { Broadcasts } from "./broadcasts.js";
import type { SwimNodeConfig } from "./config.js";
import { Diagnostics } from "./diagnostics.js";
import { Inbound } from "./inbound.js";
import { Messenger } from "./messenger.js";
import { NodeTable } from "./node-table.js";
import type { NodeEvent, NodeState } from "./node-state.js";
import { Prober } from "./probe.js";
import { PushPull } from "./push-pull.js";
import { Reconnector } from "./reconnect.js";
import { StallDetector } from "./stall-detector.js";
import { StateTransitions } from "./state-transitions.js";
import { ProtocolStats } from "./stats.js";
import { Timers } from "./timers.js";
import { pushPullScale } from "./timing.js";
import { UdpReachability } from "./udp-reachability.js";
import { UserMessages } from "./user-messages.js";

/**
 * One SWIM + Lifeguard member as hashicorp/memberlist 0.2.2 runs it (memberlist.go): it owns the socket
 * and the timers, wires the parts together (member table, state transitions, probe, broadcasts,
 * push/pull, reconnect, inbound routing) and runs its lifecycle: start, join, leave, shutdown. Single-threaded: every handler runs to
 * completion; time and randomness come from the config so simulations are deterministic.
 */
export class SwimNode {
  readonly config: SwimNodeConfig;
  readonly stats = new ProtocolStats();
  readonly diagnostics: Diagnostics;
  readonly reachability: UdpReachability;
  readonly #table: NodeTable;
  readonly #timers: Timers;
  readonly #awareness: Awareness;
  readonly #broadcasts: Broadcasts;
  readonly #messenger: Messenger;
  readonly #transitions: StateTransitions;
  readonly #prober: Prober;
  readonly #pushPull: PushPull;
  readonly #reconnector: Reconnector;
  readonly #inbound: Inbound;
  #started = false;
  #advertise = { ip: "", port: 0 };
  #leaveWaiters: (() => void)[] = [];
  #restaggerPushPull: (() => void) | undefined;

  constructor(config: SwimNodeConfig) {
    this.config = config;
    const stats = this.stats;
    const table = (this.#table = new NodeTable(config.random));
    const timers = (this.#timers = new Timers(config.clock, config.random));
    const awareness = (this.#awareness = new Awareness(config.awarenessMaxMultiplier));
    const diagnostics = (this.diagnostics = new Diagnostics(config, stats));
    const stalls = new StallDetector(config, awareness, stats);
    timers.onLate((latenessMs) => stalls.late(latenessMs));
    const messenger = (this.#messenger = new Messenger(config, stats, table, timers, diagnostics, (n) => this.#broadcasts.piggyback(n)));
    const broadcasts = (this.#broadcasts = new Broadcasts(config, table, (address, name, msgs) => messenger.rawSend(address, name, msgs)));
    const transitions = (this.#transitions = new StateTransitions({
      config,
      table,
      stats,
      timers,
      awareness,
      broadcast: (name, msg, onFinished) => broadcasts.queue(name, msg, onFinished),
      onLeaveSpread: () => this.#leaveSpread(),
    }));
    const reachability = (this.reachability = new UdpReachability(config, table));
    const prober = (this.#prober = new Prober({
      config,
      stats,
      table,
      timers,
      messenger,
      awareness,
      diagnostics,
      reachability,
      suspect: (s) => transitions.suspectNode(s),
    }));
    const pushPull = (this.#pushPull = new PushPull({ config, stats, table, messenger, transitions, diagnostics }));
    this.#reconnector = new Reconnector({ config, stats, table, self: () => this.address, pushPull: (address) => pushPull.pushPullNode(address, false) });
    transitions.onEvent((event) => this.#reconnector.onNodeEvent(event));
    const userMessages = new UserMessages(config, stats, table);
    this.#inbound = new Inbound({ config, stats, timers, messenger, diagnostics, transitions, prober, pushPull, userMessages });
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.#started) return;
    const socket = await this.config.network.bind(this.config.bindHost, this.config.bindPort, {
      packet: (data, from) => this.#inbound.packet(data, from),
      stream: (conn) => this.#inbound.stream(conn),
    });
    this.#started = true;
    this.#advertise = { ip: this.config.advertiseHost, port: this.config.advertisePort ?? socket.port };
    this.#messenger.attach(socket, this.#advertise);
    this.#timers.start();
    this.#transitions.aliveNode(
      {
        Incarnation: this.#transitions.nextIncarnation(),
        Node: this.config.name,
        Addr: ipToBytes(this.#advertise.ip),
        Port: this.#advertise.port,
        Meta: this.config.meta,
        Vsn: Uint8Array.of(PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_2_COMPATIBLE, 0, 0, 0),
      },
      true,
    );
    this.#schedule();
  }

  /** Stop every timer and close the sockets (memberlist Shutdown). Safe to call twice. */
  async shutdown(): Promise<void> {
    if (!this.#timers.running) return;
    this.#timers.stop();
    this.#transitions.clear();
    this.#prober.clear();
    this.#broadcasts.clear();
    this.#leaveSpread();
    await this.#messenger.socket?.close();
  }

  get running(): boolean {
    return this.#timers.running;
  }

  get address(): string {
    return joinHostPort(this.#advertise.ip, this.#advertise.port);
  }

  get boundPort(): number {
    return this.#messenger.socket?.port ?? 0;
  }

  get healthScore(): number {
    return this.#awareness.score;
  }

  get queuedBroadcasts(): number {
    return this.#broadcasts.size;
  }

  get queuedUserBroadcasts(): number {
    return this.#broadcasts.userSize;
  }

  /** The largest payload `broadcast()` and `sendBestEffort()` take: what one datagram carries. */
  get maxUserPayload(): number {
    return this.#broadcasts.maxUserPayload;
  }

  get left(): boolean {
    return this.#transitions.left;
  }

  onEvent(listener: (event: NodeEvent) => void): () => void {
    return this.#transitions.onEvent(listener);
  }

  // ---- user messages (memberlist's GetBroadcasts, SendBestEffort, SendReliable; received: config.delegate) ----

  /** Gossip `payload` as a user message; with `key`, it replaces a queued one of the same key. */
  broadcastUser(payload: Uint8Array, key?: string): void {
    this.#checkUserPayload(payload, this.maxUserPayload, "broadcast()");
    this.stats.userBroadcastsDropped += this.#broadcasts.queueUser(frameUserMsg(payload), key);
    this.stats.userBroadcastsQueued++;
  }

  /** `payload` as one user message datagram to member `name`, without piggybacking (SendBestEffort). */
  sendBestEffort(name: string, payload: Uint8Array): void {
    this.#checkUserPayload(payload, this.maxUserPayload, "sendBestEffort()");
    const node = this.#liveNode(name, "sendBestEffort()");
    this.#messenger.rawSend(joinHostPort(node.ip, node.port), node.name, [frameUserMsg(payload)]);
    this.stats.userMessagesSent++;
  }

  /** `payload` as a user message on a stream to member `name` (SendReliable); resolves once it is handed to the connection. */
  async sendReliable(name: string, payload: Uint8Array): Promise<void> {
    this.#checkUserPayload(payload, MAX_PUSH_STATE_BYTES, "sendReliable()");
    const node = this.#liveNode(name, "sendReliable()");
    const conn = await this.#messenger.dial(joinHostPort(node.ip, node.port), this.config.tcpTimeoutMs);
    try {
      conn.write(this.#messenger.encodeStream(encodeStreamUserMsg(payload)));
    } finally {
      conn.close();
    }
    this.stats.userMessagesSent++;
  }

  #checkUserPayload(payload: Uint8Array, max: number, what: string): void {
    if (!(payload instanceof Uint8Array)) throw new InvalidArgumentError(`expected the payload of ${what} to be a Uint8Array`);
    if (payload.byteLength > max) {
      throw new InvalidArgumentError(`expected the payload of ${what} to be at most ${max} bytes, got ${payload.byteLength}`);
    }
  }

  #liveNode(name: string, what: string): NodeState {
    const node = this.#table.get(name);
    if (node === undefined || node.state === NodeStateType.Dead || node.state === NodeStateType.Left) {
      throw new CacheClusterError("CACHECLUSTER_MEMBERSHIP_FAILED", `${what}: no live member named ${JSON.stringify(name)}`);
    }
    return node;
  }

  /** Every member known, dead ones included until reaped (a live view). */
  nodes(): readonly NodeState[] {
    return this.#table.all();
  }

  node(name: string): NodeState | undefined {
    return this.#table.get(name);
  }

  self(): NodeState | undefined {
    return this.#table.get(this.config.name);
  }

  /**
   * Push/pull with each address (`host:port`); resolves with how many answered, and remembers them as
   * seeds. Rejects with a SwimJoinError when none answered usably but some answered with what could not
   * be read (a wrong key, most likely): unreachable seeds alone are not an error.
   */
  async join(addresses: readonly string[]): Promise<number> {
    this.#reconnector.addSeeds(addresses);
    const { reached, failures } = await this.#pushPull.join(addresses, this.address);
    const [first, ...rest] = failures;
    if (reached > 0 || first === undefined) return reached;
    this.stats.joinErrorsTotal++;
    throw new SwimJoinError([first.failure, ...rest.map((f) => f.failure)], { cause: first.error });
  }

  /** Broadcast our own death from ourselves ("left") and wait up to `timeoutMs` for it to go out. */
  async leave(timeoutMs: number): Promise<void> {
    if (!this.running || this.left) return;
    this.#transitions.markLeft();
    const self = this.self();
    if (self === undefined) return;
    const done = new Promise<void>((resolve) => this.#leaveWaiters.push(resolve));
    this.#transitions.deadNode({ Incarnation: self.incarnation, Node: self.name, From: self.name });
    if (!this.#table.anyLiveExcept(this.config.name)) return;
    await new Promise<void>((resolve) => {
      const timer = this.#timers.after(timeoutMs, resolve);
      void done.then(() => {
        this.#timers.cancel(timer);
        resolve();
      });
    });
  }

  /** Re-advertise ourselves with new metadata (memberlist UpdateNode). */
  updateMeta(meta: Uint8Array): void {
    this.config.meta = meta;
    const self = this.self();
    if (self === undefined || !this.running) return;
    const alive = { Incarnation: this.#transitions.nextIncarnation(), Node: self.name, Addr: self.addr, Port: self.port, Meta: meta, Vsn: self.vsn };
    this.#transitions.aliveNode(alive, true);
  }

  /**
   * Simulation support: take `states` as already known and settled (no broadcasts, no events), as the
   * view of a member of a cluster that converged long ago. Not used by the protocol itself.
   */
  installSettledView(states: readonly PushNodeState[]): void {
    const now = this.config.clock.now();
    const nodes: NodeState[] = [];
    for (const r of states) {
      const ip = r.State === NodeStateType.Alive ? bytesToIp(r.Addr) : undefined;
      if (ip === undefined) continue;
      nodes.push({
        name: r.Name,
        addr: r.Addr,
        ip,
        port: r.Port,
        meta: r.Meta,
        incarnation: r.Incarnation,
        state: NodeStateType.Alive,
        stateChange: now,
        vsn: r.Vsn,
      });
    }
    this.#table.addAll(nodes);
    // a long-converged cluster has its push/pull timers spread over the whole (scaled) period
    this.#restaggerPushPull?.();
  }

  /** This member's own entry as a push/pull state. */
  selfState(): PushNodeState[] {
    const self = this.self();
    return self === undefined
      ? []
      : [{ Name: self.name, Addr: self.addr, Port: self.port, Meta: self.meta, Incarnation: self.incarnation, State: self.state, Vsn: self.vsn }];
  }

  // ---- timers -------------------------------------------------------------------------------------

  #schedule(): void {
    const c = this.config;
    const timers = this.#timers;
    if (c.probeIntervalMs > 0)
      timers.every(
        () => c.probeIntervalMs,
        () => this.#prober.tick(),
      );
    if (c.pushPullIntervalMs > 0) {
      this.#restaggerPushPull = timers.every(
        () => pushPullScale(c.pushPullIntervalMs, this.#table.size),
        () => this.#pushPull.tick(),
      );
    }
    if (c.gossipIntervalMs > 0 && c.gossipNodes > 0)
      timers.every(
        () => c.gossipIntervalMs,
        () => this.#broadcasts.gossip(),
      );
    if (c.reconnectIntervalMs > 0)
      timers.every(
        () => c.reconnectIntervalMs,
        () => this.#reconnector.tick(),
      );
  }

  #leaveSpread(): void {
    for (const waiter of this.#leaveWaiters.splice(0)) waiter();
  }
}

/** A user message as a datagram part: the userMsg type byte, then the payload. */
function frameUserMsg(payload: Uint8Array): Uint8Array {
  const framed = new Uint8Array(payload.byteLength + 1);
  framed[0] = MessageType.User;
  framed.set(payload, 1);
  return framed;
}
