import { DecodeError } from "@cachecluster/core";
import { joinHostPort, type NetworkSocket, type StreamConnection } from "@cachecluster/core";
import {
  MessageType,
  NodeStateType,
  PROTOCOL_VERSION_2_COMPATIBLE,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  decodePacket,
  encodeMessage,
  encodePacket,
  encodePushPull,
  encodeStream,
  encryptOverhead,
  type Alive,
  type DecodePacketOptions,
  type EncodePacketOptions,
  type Dead,
  type IndirectPingReq,
  type PacketMessage,
  type Ping,
  type PushNodeState,
  type StreamMessage,
  type Suspect,
} from "../wire/index.js";
import { bytesToIp, ipToBytes } from "./addr.js";
import { Awareness } from "./awareness.js";
import { BroadcastQueue } from "./broadcast-queue.js";
import type { SwimNodeConfig } from "./config.js";
import { isDeadOrLeft, protocolMax, type NodeEvent, type NodeState } from "./node-state.js";
import { ProtocolStats } from "./stats.js";
import { readOneStreamMessage } from "./stream-reader.js";
import { Suspicion } from "./suspicion.js";
import { verifyProtocol } from "./verify-protocol.js";
import { pushPullScale, suspicionTimeout } from "./timing.js";

/** compound overheads (net.go): 1 type byte + 1 count byte; 2 length bytes per part. */
const COMPOUND_HEADER_OVERHEAD = 2;
const COMPOUND_OVERHEAD = 2;

interface AckHandler {
  ack: (payload: Uint8Array, at: number) => void;
  nack: (() => void) | undefined;
  timer: unknown;
}

/**
 * The SWIM + Lifeguard state machine of hashicorp/memberlist 0.2.2 (state.go, net.go, memberlist.go):
 * probing, suspicion, dissemination, push/pull, join, leave. Single-threaded: every handler runs to
 * completion; time and randomness come from the config so simulations are deterministic.
 */
export class SwimNode {
  readonly config: SwimNodeConfig;
  readonly stats = new ProtocolStats();
  readonly #nodes: NodeState[] = [];
  readonly #nodeMap = new Map<string, NodeState>();
  readonly #nodeTimers = new Map<string, Suspicion>();
  readonly #ackHandlers = new Map<number, AckHandler>();
  readonly #awareness: Awareness;
  readonly #broadcasts: BroadcastQueue;
  readonly #listeners = new Set<(event: NodeEvent) => void>();
  /** Seeds and failed members to re-dial (address → name or undefined), serf's reconnect. */
  readonly #seeds = new Set<string>();
  readonly #failed = new Map<string, { address: string; since: number }>();
  readonly #timers = new Set<unknown>();
  #socket: NetworkSocket | undefined;
  #seqNo = 0;
  #incarnation = 0;
  #probeIndex = 0;
  #left = false;
  #running = false;
  #probing = false;
  #probePending = false;
  #advertiseIp = "";
  #advertisePort = 0;
  #leaveWaiters: (() => void)[] = [];
  /** Bumped on every change of the member list, so an encoded push/pull state can be reused. */
  #stateVersion = 0;
  #advertiseBytes: Uint8Array | undefined;
  #restaggerPushPull: (() => void) | undefined;
  #encodedState: { version: number; join: boolean; bytes: Uint8Array } | undefined;

  readonly #decodeOptions: DecodePacketOptions;
  readonly #packetOptions: { crc: EncodePacketOptions; plain: EncodePacketOptions };

  constructor(config: SwimNodeConfig) {
    this.config = config;
    this.#decodeOptions = { ...(config.keyring === undefined ? {} : { keyring: config.keyring }), verifyIncoming: config.verifyIncoming };
    const base: EncodePacketOptions = {
      compress: config.compress,
      ...(config.keyring !== undefined && config.verifyOutgoing ? { keyring: config.keyring, encryptionVersion: 1 as const } : {}),
      // messages are packed to udpBufferSize before CRC and encryption, as memberlist does; leave room for those
      maxPacketSize: config.udpBufferSize + 64,
    };
    this.#packetOptions = { crc: { ...base, crc: true }, plain: base };
    this.#awareness = new Awareness(config.awarenessMaxMultiplier);
    this.#broadcasts = new BroadcastQueue(config.retransmitMult, () => this.#nodes.length);
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.#socket !== undefined) return;
    const socket = await this.config.network.bind(this.config.bindHost, this.config.bindPort, {
      packet: (data, from) => this.#onPacket(data, from),
      stream: (conn) => this.#onStream(conn),
    });
    this.#socket = socket;
    this.#running = true;
    this.#advertiseIp = this.config.advertiseHost;
    this.#advertisePort = this.config.advertisePort ?? socket.port;
    this.#aliveNode(
      {
        Incarnation: this.#nextIncarnation(),
        Node: this.config.name,
        Addr: ipToBytes(this.#advertiseIp),
        Port: this.#advertisePort,
        Meta: this.config.meta,
        Vsn: this.#vsn(),
      },
      true,
    );
    this.#schedule();
  }

  /** Stop every timer and close the sockets (memberlist Shutdown). Safe to call twice. */
  async shutdown(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const timer of this.#timers) this.config.clock.clearTimeout(timer);
    this.#timers.clear();
    for (const suspicion of this.#nodeTimers.values()) suspicion.cancel();
    this.#nodeTimers.clear();
    for (const handler of this.#ackHandlers.values()) this.config.clock.clearTimeout(handler.timer);
    this.#ackHandlers.clear();
    this.#broadcasts.clear();
    for (const waiter of this.#leaveWaiters.splice(0)) waiter();
    const socket = this.#socket;
    if (socket !== undefined) await socket.close();
  }

  get running(): boolean {
    return this.#running;
  }

  get address(): string {
    return joinHostPort(this.#advertiseIp, this.#advertisePort);
  }

  get boundPort(): number {
    return this.#socket?.port ?? 0;
  }

  get healthScore(): number {
    return this.#awareness.score;
  }

  get queuedBroadcasts(): number {
    return this.#broadcasts.size;
  }

  onEvent(listener: (event: NodeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every member known, dead ones included until reaped (a snapshot). */
  nodes(): readonly NodeState[] {
    return this.#nodes;
  }

  node(name: string): NodeState | undefined {
    return this.#nodeMap.get(name);
  }

  self(): NodeState | undefined {
    return this.#nodeMap.get(this.config.name);
  }

  /** Push/pull with each address (`host:port`); resolves with how many answered. Remembers them as seeds. */
  async join(addresses: readonly string[]): Promise<number> {
    let reached = 0;
    for (const address of addresses) this.#seeds.add(address);
    await Promise.all(
      addresses.map(async (address) => {
        if (address === this.address) return;
        try {
          await this.#pushPullNode(address, true);
          reached++;
        } catch (error) {
          this.config.logger.debug({ err: error, address }, "swim: join failed");
        }
      }),
    );
    return reached;
  }

  /** Broadcast our own death from ourselves ("left") and wait up to `timeoutMs` for it to go out. */
  async leave(timeoutMs: number): Promise<void> {
    if (!this.#running || this.#left) return;
    this.#left = true;
    const self = this.self();
    if (self === undefined) return;
    const done = new Promise<void>((resolve) => this.#leaveWaiters.push(resolve));
    this.#deadNode({ Incarnation: self.incarnation, Node: self.name, From: self.name });
    if (!this.#anyAlive()) return;
    await new Promise<void>((resolve) => {
      const timer = this.#after(timeoutMs, resolve);
      void done.then(() => {
        this.#cancel(timer);
        resolve();
      });
    });
  }

  /** Re-advertise ourselves with new metadata (memberlist UpdateNode). */
  updateMeta(meta: Uint8Array): void {
    this.config.meta = meta;
    const self = this.self();
    if (self === undefined || !this.#running) return;
    this.#aliveNode({ Incarnation: this.#nextIncarnation(), Node: self.name, Addr: self.addr, Port: self.port, Meta: meta, Vsn: self.vsn }, true);
  }

  /**
   * Simulation support: take `states` as already known and settled (no broadcasts, no events), as the
   * view of a member of a cluster that converged long ago. Not used by the protocol itself.
   */
  installSettledView(states: readonly PushNodeState[]): void {
    for (const r of states) {
      if (this.#nodeMap.has(r.Name) || r.State !== NodeStateType.Alive) continue;
      const ip = bytesToIp(r.Addr);
      if (ip === undefined) continue;
      const node: NodeState = {
        name: r.Name,
        addr: r.Addr,
        ip,
        port: r.Port,
        meta: r.Meta,
        incarnation: r.Incarnation,
        state: NodeStateType.Alive,
        stateChange: this.config.clock.now(),
        vsn: r.Vsn,
      };
      this.#nodeMap.set(r.Name, node);
      this.#nodes.push(node);
    }
    this.#shuffle(this.#nodes);
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

  get left(): boolean {
    return this.#left;
  }

  // ---- timers ---------------------------------------------------------------------------------------

  #after(ms: number, fn: () => void): unknown {
    const timer = this.config.clock.setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#running) fn();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #cancel(timer: unknown): void {
    this.#timers.delete(timer);
    this.config.clock.clearTimeout(timer);
  }

  /** Run `fn` every `intervalMs()`, first after a random stagger; returns a function that re-staggers it. */
  #every(intervalMs: () => number, fn: () => void): () => void {
    let timer: unknown;
    const tick = (): void => {
      fn();
      timer = this.#after(intervalMs(), tick);
    };
    timer = this.#after(Math.floor(this.config.random() * intervalMs()), tick);
    return () => {
      this.#cancel(timer);
      timer = this.#after(Math.floor(this.config.random() * intervalMs()), tick);
    };
  }

  #schedule(): void {
    const c = this.config;
    if (c.probeIntervalMs > 0)
      this.#every(
        () => c.probeIntervalMs,
        () => this.#probeTick(),
      );
    if (c.pushPullIntervalMs > 0)
      this.#restaggerPushPull = this.#every(
        () => pushPullScale(c.pushPullIntervalMs, this.#nodes.length),
        () => this.#pushPull(),
      );
    if (c.gossipIntervalMs > 0 && c.gossipNodes > 0)
      this.#every(
        () => c.gossipIntervalMs,
        () => this.#gossip(),
      );
    if (c.reconnectIntervalMs > 0)
      this.#every(
        () => c.reconnectIntervalMs,
        () => this.#reconnect(),
      );
  }

  // ---- probing (state.go probe/probeNode) -------------------------------------------------------------

  /** A Go ticker with a buffer of one: a tick during a probe runs right after it. */
  #probeTick(): void {
    if (this.#probing) {
      this.#probePending = true;
      return;
    }
    this.#probing = true;
    void this.#probe().finally(() => {
      this.#probing = false;
      if (this.#probePending && this.#running) {
        this.#probePending = false;
        this.#probeTick();
      }
    });
  }

  async #probe(): Promise<void> {
    let numCheck = 0;
    for (;;) {
      if (numCheck >= this.#nodes.length) return;
      if (this.#probeIndex >= this.#nodes.length) {
        this.#resetNodes();
        this.#probeIndex = 0;
        numCheck++;
        continue;
      }
      const node = this.#nodes[this.#probeIndex]!;
      this.#probeIndex++;
      if (node.name === this.config.name || isDeadOrLeft(node)) {
        numCheck++;
        continue;
      }
      await this.#probeNode(node);
      return;
    }
  }

  #resetNodes(): void {
    const now = this.config.clock.now();
    let write = 0;
    for (const node of this.#nodes) {
      if (node.state === NodeStateType.Dead && now - node.stateChange > this.config.gossipToTheDeadMs) {
        this.#nodeMap.delete(node.name);
        continue;
      }
      this.#nodes[write++] = node;
    }
    this.#nodes.length = write;
    this.#shuffle(this.#nodes);
  }

  async #probeNode(target: NodeState): Promise<void> {
    const c = this.config;
    const clock = c.clock;
    this.stats.probes++;
    const probeInterval = this.#awareness.scaleTimeout(c.probeIntervalMs);
    const ping: Ping = { SeqNo: this.#nextSeqNo(), Node: target.name, ...this.#source() };
    let nacks = 0;
    let settle: (complete: boolean) => void = () => {};
    let ackState: boolean | undefined;
    const ackPromise = (): Promise<boolean> =>
      ackState !== undefined
        ? Promise.resolve(ackState)
        : new Promise<boolean>((resolve) => {
            settle = resolve;
          });
    const handler: AckHandler = {
      ack: () => {
        ackState = true;
        settle(true);
      },
      nack: () => {
        nacks++;
      },
      timer: undefined,
    };
    handler.timer = clock.setTimeout(() => {
      this.#ackHandlers.delete(ping.SeqNo);
      if (ackState === undefined) ackState = false;
      settle(false);
    }, probeInterval);
    this.#ackHandlers.set(ping.SeqNo, handler);
    const sent = clock.now();
    const targetAddress = joinHostPort(target.ip, target.port);
    let awarenessDelta = -1;
    try {
      if (target.state === NodeStateType.Alive) {
        this.#sendMsg(targetAddress, target.name, encodeMessage(MessageType.Ping, ping));
      } else {
        // buddy system: tell a suspect it is suspected, in the same packet as the ping
        const suspect: Suspect = { Incarnation: target.incarnation, Node: target.name, From: c.name };
        this.#rawSend(targetAddress, target.name, [encodeMessage(MessageType.Ping, ping), encodeMessage(MessageType.Suspect, suspect)]);
      }
      const direct = await Promise.race([ackPromise(), this.#sleep(c.probeTimeoutMs).then(() => undefined)]);
      if (!this.#running) return;
      if (direct === true) return;

      // indirect probes through k random alive members
      const peers = this.#kRandomNodes(c.indirectChecks, (n) => n.name === c.name || n.name === target.name || n.state !== NodeStateType.Alive);
      let expectedNacks = 0;
      for (const peer of peers) {
        const nack = protocolMax(peer) >= 4;
        if (nack) expectedNacks++;
        const req: IndirectPingReq = { SeqNo: ping.SeqNo, Target: target.addr, Port: target.port, Node: target.name, Nack: nack, ...this.#source() };
        this.stats.indirectProbes++;
        this.#sendMsg(joinHostPort(peer.ip, peer.port), peer.name, encodeMessage(MessageType.IndirectPing, req));
      }
      // TCP fallback ping, in parallel
      const fallback: Promise<boolean> =
        !c.disableTcpPings && protocolMax(target) >= 3 ? this.#sendPingAndWaitForAck(targetAddress, ping, sent + probeInterval) : Promise.resolve(false);
      if (await ackPromise()) return;
      if (!this.#running) return;
      if (await fallback) {
        this.stats.tcpFallbackSuccesses++;
        c.logger.warn({ node: target.name }, "swim: reached a member over TCP but not UDP; the network may be misconfigured");
        return;
      }
      awarenessDelta = 0;
      if (expectedNacks > 0) {
        if (nacks < expectedNacks) awarenessDelta += expectedNacks - nacks;
      } else {
        awarenessDelta += 1;
      }
      this.stats.probeFailures++;
      this.#suspectNode({ Incarnation: target.incarnation, Node: target.name, From: c.name });
    } finally {
      this.#awareness.applyDelta(awarenessDelta);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#after(ms, resolve);
    });
  }

  // ---- gossip, push/pull, reconnect -----------------------------------------------------------------

  #gossip(): void {
    if (this.#broadcasts.size === 0) return;
    const c = this.config;
    const now = c.clock.now();
    const targets = this.#kRandomNodes(c.gossipNodes, (n) => {
      if (n.name === c.name) return true;
      switch (n.state) {
        case NodeStateType.Alive:
        case NodeStateType.Suspect:
          return false;
        case NodeStateType.Dead:
          return now - n.stateChange > c.gossipToTheDeadMs;
        default:
          return true;
      }
    });
    let bytesAvail = c.udpBufferSize - COMPOUND_HEADER_OVERHEAD;
    if (this.#encrypting()) bytesAvail -= encryptOverhead(1);
    for (const node of targets) {
      const msgs = this.#broadcasts.get(COMPOUND_OVERHEAD, bytesAvail);
      if (msgs.length === 0) return;
      this.#rawSend(joinHostPort(node.ip, node.port), node.name, msgs);
    }
  }

  #pushPull(): void {
    const [node] = this.#kRandomNodes(1, (n) => n.name === this.config.name || n.state !== NodeStateType.Alive);
    if (node === undefined) return;
    this.#pushPullNode(joinHostPort(node.ip, node.port), false).catch((error: unknown) => {
      this.config.logger.debug({ err: error, node: node.name }, "swim: push/pull failed");
    });
  }

  /** Re-dial one seed that is not a live member, or one failed member, so a healed partition merges. */
  #reconnect(): void {
    if (this.#seeds.size === 0 && this.#failed.size === 0) return;
    const now = this.config.clock.now();
    const live = new Set<string>();
    for (const node of this.#nodes) if (!isDeadOrLeft(node)) live.add(joinHostPort(node.ip, node.port));
    for (const [name, failed] of this.#failed) {
      const node = this.#nodeMap.get(name);
      if (now - failed.since > this.config.reconnectTimeoutMs || (node !== undefined && !isDeadOrLeft(node)) || node?.state === NodeStateType.Left) {
        this.#failed.delete(name);
      }
    }
    const candidates = [...[...this.#seeds].filter((a) => !live.has(a) && a !== this.address), ...[...this.#failed.values()].map((f) => f.address)];
    if (candidates.length === 0) return;
    const address = candidates[Math.floor(this.config.random() * candidates.length)]!;
    this.stats.reconnects++;
    this.#pushPullNode(address, false).catch((error: unknown) => {
      this.config.logger.debug({ err: error, address }, "swim: reconnect failed");
    });
  }

  async #pushPullNode(address: string, join: boolean): Promise<void> {
    this.stats.pushPulls++;
    try {
      const remote = await this.#sendAndReceiveState(address, join);
      this.#mergeRemoteState(remote);
    } catch (error) {
      this.stats.pushPullFailures++;
      throw error;
    }
  }

  async #sendAndReceiveState(address: string, join: boolean): Promise<PushNodeState[]> {
    const socket = this.#socket;
    if (socket === undefined || !this.#running) throw new Error("swim: not running");
    const deadline = this.config.clock.now() + this.config.tcpTimeoutMs;
    const conn = await this.#withTimeout(socket.dial(address, this.config.tcpTimeoutMs), this.config.tcpTimeoutMs, `dial ${address}`);
    try {
      conn.write(this.#encodedLocalState(join));
      const reply = await this.#readStream(conn, Math.max(1, deadline - this.config.clock.now()));
      if (reply.type === MessageType.Err) throw new Error(`remote error: ${reply.body.Error}`);
      if (reply.type !== MessageType.PushPull) throw new DecodeError(`expected a push/pull reply, got message type ${reply.type}`);
      return reply.body.states;
    } finally {
      conn.close();
    }
  }

  async #sendPingAndWaitForAck(address: string, ping: Ping, deadline: number): Promise<boolean> {
    const socket = this.#socket;
    if (socket === undefined) return false;
    const timeout = Math.max(1, deadline - this.config.clock.now());
    let conn: StreamConnection | undefined;
    try {
      conn = await this.#withTimeout(socket.dial(address, timeout), timeout, `dial ${address}`);
      conn.write(this.#encodeStream(encodeMessage(MessageType.Ping, ping)));
      const reply = await this.#readStream(conn, Math.max(1, deadline - this.config.clock.now()));
      if (reply.type !== MessageType.AckResp) return false;
      return reply.body.SeqNo === ping.SeqNo;
    } catch {
      return false;
    } finally {
      conn?.close();
    }
  }

  /** sendLocalState's bytes, reused while the member list is unchanged (big clusters push/pull often). */
  #encodedLocalState(join: boolean): Uint8Array {
    const cached = this.#encodedState;
    if (cached !== undefined && cached.version === this.#stateVersion && cached.join === join && !this.#encrypting()) return cached.bytes;
    const bytes = this.#encodeStream(encodePushPull({ join, states: this.#localState(), userState: new Uint8Array(0) }));
    this.#encodedState = { version: this.#stateVersion, join, bytes };
    return bytes;
  }

  #localState(): PushNodeState[] {
    return this.#nodes.map((n) => ({ Name: n.name, Addr: n.addr, Port: n.port, Meta: n.meta, Incarnation: n.incarnation, State: n.state, Vsn: n.vsn }));
  }

  /** mergeRemoteState: refuse a state with incompatible protocol versions, else merge it. */
  #mergeRemoteState(remote: readonly PushNodeState[]): void {
    const problem = verifyProtocol(remote, this.#nodes);
    if (problem !== undefined) {
      this.stats.badVersions++;
      throw new DecodeError(`push/pull refused: ${problem}`);
    }
    this.#mergeState(remote);
  }

  #mergeState(remote: readonly PushNodeState[]): void {
    for (const r of remote) {
      switch (r.State) {
        case NodeStateType.Alive:
          this.#aliveNode({ Incarnation: r.Incarnation, Node: r.Name, Addr: r.Addr, Port: r.Port, Meta: r.Meta, Vsn: r.Vsn }, false);
          break;
        case NodeStateType.Left:
          this.#deadNode({ Incarnation: r.Incarnation, Node: r.Name, From: r.Name });
          break;
        case NodeStateType.Dead:
        case NodeStateType.Suspect:
          this.#suspectNode({ Incarnation: r.Incarnation, Node: r.Name, From: this.config.name });
          break;
        default:
          break;
      }
    }
  }

  // ---- incoming -----------------------------------------------------------------------------------------

  #onPacket(data: Uint8Array, from: string): void {
    if (!this.#running) return;
    this.stats.packetsReceived++;
    this.stats.bytesReceived += data.byteLength;
    let decoded: { messages: PacketMessage[]; errors: DecodeError[] };
    try {
      decoded = decodePacket(data, this.#decodeOptions);
    } catch (error) {
      this.stats.packetsDropped++;
      this.stats.decodeErrors++;
      this.config.logger.debug({ err: error, from }, "swim: dropped an undecodable packet");
      return;
    }
    this.stats.decodeErrors += decoded.errors.length;
    for (const msg of decoded.messages) {
      this.stats.messagesReceived++;
      try {
        this.#handle(msg, from);
      } catch (error) {
        this.stats.decodeErrors++;
        this.config.logger.debug({ err: error, from }, "swim: dropped a bad message");
      }
    }
  }

  #handle(msg: PacketMessage, from: string): void {
    switch (msg.type) {
      case MessageType.Ping:
        this.#handlePing(msg.body, from);
        break;
      case MessageType.IndirectPing:
        this.#handleIndirectPing(msg.body, from);
        break;
      case MessageType.AckResp: {
        const handler = this.#ackHandlers.get(msg.body.SeqNo);
        if (handler === undefined) return;
        this.#ackHandlers.delete(msg.body.SeqNo);
        this.config.clock.clearTimeout(handler.timer);
        handler.ack(msg.body.Payload, this.config.clock.now());
        break;
      }
      case MessageType.NackResp:
        this.#ackHandlers.get(msg.body.SeqNo)?.nack?.();
        break;
      case MessageType.Suspect:
        this.#suspectNode(msg.body);
        break;
      case MessageType.Alive: {
        const alive = msg.body;
        if (alive.Port === 0) alive.Port = this.config.bindPort;
        this.#aliveNode(alive, false);
        break;
      }
      case MessageType.Dead:
        this.#deadNode(msg.body);
        break;
      case MessageType.User:
      case MessageType.Err:
        break;
      default:
        this.stats.packetsDropped++;
    }
  }

  #replyAddress(sourceAddr: Uint8Array | undefined, sourcePort: number | undefined, from: string): string {
    if (sourceAddr !== undefined && sourceAddr.byteLength > 0 && sourcePort !== undefined && sourcePort > 0) {
      const ip = bytesToIp(sourceAddr);
      if (ip !== undefined) return joinHostPort(ip, sourcePort);
    }
    return from;
  }

  #handlePing(ping: Ping, from: string): void {
    if (ping.Node !== "" && ping.Node !== this.config.name) {
      this.stats.unexpectedPings++;
      return;
    }
    this.#sendMsg(
      this.#replyAddress(ping.SourceAddr, ping.SourcePort, from),
      ping.SourceNode ?? "",
      encodeMessage(MessageType.AckResp, { SeqNo: ping.SeqNo, Payload: new Uint8Array(0) }),
    );
  }

  #handleIndirectPing(ind: IndirectPingReq, from: string): void {
    const c = this.config;
    const port = ind.Port === 0 ? c.bindPort : ind.Port;
    const targetIp = bytesToIp(ind.Target);
    if (targetIp === undefined) {
      this.stats.decodeErrors++;
      return;
    }
    const localSeq = this.#nextSeqNo();
    const replyTo = this.#replyAddress(ind.SourceAddr, ind.SourcePort, from);
    const replyName = ind.SourceNode ?? "";
    let answered = false;
    const handler: AckHandler = {
      ack: () => {
        answered = true;
        this.#sendMsg(replyTo, replyName, encodeMessage(MessageType.AckResp, { SeqNo: ind.SeqNo, Payload: new Uint8Array(0) }));
      },
      nack: undefined,
      timer: undefined,
    };
    handler.timer = c.clock.setTimeout(() => this.#ackHandlers.delete(localSeq), c.probeTimeoutMs);
    this.#ackHandlers.set(localSeq, handler);
    this.#sendMsg(joinHostPort(targetIp, port), ind.Node, encodeMessage(MessageType.Ping, { SeqNo: localSeq, Node: ind.Node, ...this.#source() }));
    if (ind.Nack) {
      this.#after(c.probeTimeoutMs, () => {
        if (!answered) this.#sendMsg(replyTo, replyName, encodeMessage(MessageType.NackResp, { SeqNo: ind.SeqNo }));
      });
    }
  }

  #onStream(conn: StreamConnection): void {
    if (!this.#running) {
      conn.close();
      return;
    }
    this.stats.streamsAccepted++;
    void this.#handleConn(conn);
  }

  async #handleConn(conn: StreamConnection): Promise<void> {
    try {
      const msg = await this.#readStream(conn, this.config.tcpTimeoutMs);
      switch (msg.type) {
        case MessageType.PushPull:
          conn.write(this.#encodedLocalState(false));
          this.#mergeRemoteState(msg.body.states);
          break;
        case MessageType.Ping:
          if (msg.body.Node !== "" && msg.body.Node !== this.config.name) {
            this.stats.unexpectedPings++;
            break;
          }
          conn.write(this.#encodeStream(encodeMessage(MessageType.AckResp, { SeqNo: msg.body.SeqNo, Payload: new Uint8Array(0) })));
          break;
        default:
          break;
      }
    } catch (error) {
      this.stats.streamErrors++;
      if (error instanceof DecodeError) this.stats.decodeErrors++;
      this.config.logger.debug({ err: error, from: conn.remote }, "swim: stream failed");
    } finally {
      conn.close();
    }
  }

  #readStream(conn: StreamConnection, timeoutMs: number): Promise<StreamMessage> {
    return readOneStreamMessage(conn, timeoutMs, this.#decodeOptions, this.#readerTimers);
  }

  readonly #readerTimers = {
    after: (ms: number, fn: () => void): unknown => this.#after(ms, fn),
    cancel: (timer: unknown): void => this.#cancel(timer),
  };

  #withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#after(ms, () => reject(new Error(`${what}: timed out after ${ms} ms`)));
      promise.then(
        (value) => {
          this.#cancel(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.#cancel(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  // ---- state transitions (state.go) -------------------------------------------------------------------

  #aliveNode(a: Alive, bootstrap: boolean): void {
    const c = this.config;
    let state = this.#nodeMap.get(a.Node);
    // fast path for the common duplicate: same effect as the checks below, without the work
    if (state !== undefined && a.Incarnation <= state.incarnation && a.Node !== c.name && a.Port === state.port && sameBytes(a.Addr, state.addr)) return;
    if (this.#left && a.Node === c.name) return;
    if (a.Vsn.byteLength >= 3) {
      const pMin = a.Vsn[0]!;
      const pMax = a.Vsn[1]!;
      if (pMin === 0 || pMax === 0 || pMin > pMax) {
        this.stats.badVersions++;
        return;
      }
    }
    const ip = bytesToIp(a.Addr);
    if (ip === undefined) {
      this.stats.decodeErrors++;
      return;
    }
    let updatesNode = false;
    if (state === undefined) {
      state = {
        name: a.Node,
        addr: a.Addr,
        ip,
        port: a.Port,
        meta: a.Meta,
        incarnation: 0,
        state: NodeStateType.Dead,
        stateChange: c.clock.now(),
        vsn: a.Vsn.byteLength > 5 ? a.Vsn : new Uint8Array(6),
      };
      this.#nodeMap.set(a.Node, state);
      this.#stateVersion++;
      const n = this.#nodes.length;
      const offset = n === 0 ? 0 : Math.floor(this.config.random() * n);
      this.#nodes.push(state);
      const swap = this.#nodes[offset]!;
      this.#nodes[offset] = state;
      this.#nodes[n] = swap;
    } else if (!sameBytes(state.addr, a.Addr) || state.port !== a.Port) {
      if (state.state === NodeStateType.Left) {
        updatesNode = true;
      } else {
        this.stats.conflicts++;
        return;
      }
    }
    const isLocal = state.name === c.name;
    if (a.Incarnation <= state.incarnation && !isLocal && !updatesNode) return;
    if (a.Incarnation < state.incarnation && isLocal) return;
    this.#clearSuspicion(a.Node);
    const oldState = state.state;
    const oldMeta = state.meta;
    if (!bootstrap && isLocal) {
      if (a.Incarnation === state.incarnation && sameBytes(a.Meta, state.meta) && sameBytes(a.Vsn, state.vsn)) return;
      this.#refute(state, a.Incarnation);
    } else {
      this.#queueBroadcast(a.Node, encodeMessage(MessageType.Alive, a));
      if (a.Vsn.byteLength > 5) state.vsn = a.Vsn;
      state.incarnation = a.Incarnation;
      this.#stateVersion++;
      state.meta = a.Meta;
      state.addr = a.Addr;
      state.ip = ip;
      state.port = a.Port;
      if (state.state !== NodeStateType.Alive) {
        state.state = NodeStateType.Alive;
        state.stateChange = c.clock.now();
      }
    }
    if (oldState === NodeStateType.Dead || oldState === NodeStateType.Left) {
      this.#failed.delete(state.name);
      this.#emit({ type: "join", node: state });
    } else if (!sameBytes(oldMeta, state.meta)) {
      this.#emit({ type: "update", node: state });
    }
  }

  #suspectNode(s: Suspect): void {
    const c = this.config;
    const state = this.#nodeMap.get(s.Node);
    if (state === undefined) return;
    if (s.Incarnation < state.incarnation) return;
    const timer = this.#nodeTimers.get(s.Node);
    if (timer !== undefined) {
      if (timer.confirm(s.From)) this.#queueBroadcast(s.Node, encodeMessage(MessageType.Suspect, s));
      return;
    }
    if (state.state !== NodeStateType.Alive) return;
    if (state.name === c.name) {
      this.#refute(state, s.Incarnation);
      return;
    }
    this.#queueBroadcast(s.Node, encodeMessage(MessageType.Suspect, s));
    this.stats.suspicions++;
    state.incarnation = s.Incarnation;
    this.#stateVersion++;
    state.state = NodeStateType.Suspect;
    const changeTime = c.clock.now();
    state.stateChange = changeTime;
    let k = c.suspicionMult - 2;
    const n = this.#nodes.length;
    if (n - 2 < k) k = 0;
    const min = suspicionTimeout(c.suspicionMult, n, c.probeIntervalMs);
    const max = c.suspicionMaxTimeoutMult * min;
    this.#nodeTimers.set(
      s.Node,
      new Suspicion(c.clock, s.From, k, min, max, () => {
        if (!this.#running) return;
        const current = this.#nodeMap.get(s.Node);
        if (current !== undefined && current.state === NodeStateType.Suspect && current.stateChange === changeTime) {
          this.#deadNode({ Incarnation: current.incarnation, Node: current.name, From: c.name });
        }
      }),
    );
  }

  #deadNode(d: Dead): void {
    const c = this.config;
    const state = this.#nodeMap.get(d.Node);
    if (state === undefined) return;
    if (d.Incarnation < state.incarnation) return;
    this.#clearSuspicion(d.Node);
    if (isDeadOrLeft(state)) return;
    if (state.name === c.name) {
      if (!this.#left) {
        this.#refute(state, d.Incarnation);
        return;
      }
      this.#queueBroadcast(d.Node, encodeMessage(MessageType.Dead, d), () => {
        for (const waiter of this.#leaveWaiters.splice(0)) waiter();
      });
    } else {
      this.#queueBroadcast(d.Node, encodeMessage(MessageType.Dead, d));
    }
    state.incarnation = d.Incarnation;
    this.#stateVersion++;
    state.state = d.Node === d.From ? NodeStateType.Left : NodeStateType.Dead;
    state.stateChange = c.clock.now();
    if (state.state === NodeStateType.Dead && state.name !== c.name) {
      this.stats.deaths++;
      this.#failed.set(state.name, { address: joinHostPort(state.ip, state.port), since: state.stateChange });
    }
    this.#emit({ type: "leave", node: state });
  }

  #refute(me: NodeState, accusedInc: number): void {
    let inc = this.#nextIncarnation();
    if (accusedInc >= inc) {
      this.#incarnation = accusedInc + 1;
      inc = this.#incarnation;
    }
    me.incarnation = inc;
    this.#stateVersion++;
    this.#awareness.applyDelta(1);
    this.stats.refutations++;
    const a: Alive = { Incarnation: inc, Node: me.name, Addr: me.addr, Port: me.port, Meta: me.meta, Vsn: me.vsn };
    this.#queueBroadcast(me.name, encodeMessage(MessageType.Alive, a));
  }

  #clearSuspicion(name: string): void {
    const timer = this.#nodeTimers.get(name);
    if (timer === undefined) return;
    timer.cancel();
    this.#nodeTimers.delete(name);
  }

  #emit(event: NodeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.config.logger.warn({ err: error }, "swim: a membership listener threw");
      }
    }
  }

  // ---- sending ------------------------------------------------------------------------------------------

  #queueBroadcast(name: string, msg: Uint8Array, onFinished?: () => void): void {
    this.#broadcasts.queue(name, msg, onFinished);
  }

  /** encodeAndSendMsg/sendMsg: one message plus as many piggybacked broadcasts as fit. */
  #sendMsg(address: string, name: string, msg: Uint8Array): void {
    let bytesAvail = this.config.udpBufferSize - msg.byteLength - COMPOUND_HEADER_OVERHEAD;
    if (this.#encrypting()) bytesAvail -= encryptOverhead(1);
    const extra = this.#broadcasts.get(COMPOUND_OVERHEAD, bytesAvail);
    this.#rawSend(address, name, extra.length === 0 ? [msg] : [msg, ...extra]);
  }

  #rawSend(address: string, name: string, msgs: Uint8Array[]): void {
    const socket = this.#socket;
    if (socket === undefined || !this.#running) return;
    const node = this.#nodeMap.get(name);
    const packets = encodePacket(msgs, protocolMax(node) >= 5 ? this.#packetOptions.crc : this.#packetOptions.plain);
    for (const packet of packets) {
      this.stats.packetsSent++;
      this.stats.bytesSent += packet.byteLength;
      socket.sendPacket(address, packet);
    }
  }

  #encodeStream(msg: Uint8Array): Uint8Array {
    return encodeStream(msg, {
      compress: this.config.compress,
      ...(this.#encrypting() && this.config.keyring !== undefined ? { keyring: this.config.keyring, encryptionVersion: 1 as const } : {}),
    });
  }

  #encrypting(): boolean {
    return this.config.keyring !== undefined && this.config.verifyOutgoing;
  }

  // ---- helpers --------------------------------------------------------------------------------------------

  #source(): { SourceAddr: Uint8Array; SourcePort: number; SourceNode: string } {
    this.#advertiseBytes ??= ipToBytes(this.#advertiseIp);
    return { SourceAddr: this.#advertiseBytes, SourcePort: this.#advertisePort, SourceNode: this.config.name };
  }

  #vsn(): Uint8Array {
    return Uint8Array.of(PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_2_COMPATIBLE, 0, 0, 0);
  }

  #nextSeqNo(): number {
    this.#seqNo = (this.#seqNo + 1) >>> 0;
    return this.#seqNo;
  }

  #nextIncarnation(): number {
    this.#incarnation = (this.#incarnation + 1) >>> 0;
    return this.#incarnation;
  }

  #anyAlive(): boolean {
    for (const node of this.#nodes) if (node.name !== this.config.name && !isDeadOrLeft(node)) return true;
    return false;
  }

  /** memberlist's kRandomNodes: up to k distinct members not excluded, in at most 3n random draws. */
  #kRandomNodes(k: number, exclude: (node: NodeState) => boolean): NodeState[] {
    const nodes = this.#nodes;
    const n = nodes.length;
    const out: NodeState[] = [];
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const node = nodes[Math.floor(this.config.random() * n)]!;
      if (exclude(node) || out.includes(node)) continue;
      out.push(node);
    }
    return out;
  }

  #shuffle(nodes: NodeState[]): void {
    this.#stateVersion++;
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = Math.floor(this.config.random() * (i + 1));
      const tmp = nodes[i]!;
      nodes[i] = nodes[j]!;
      nodes[j] = tmp;
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
