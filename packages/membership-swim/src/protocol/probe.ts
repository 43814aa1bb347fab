import { joinHostPort, type StreamConnection } from "@cachecluster/core";
import {
  EncryptionError,
  MessageType,
  NodeStateType,
  encodeMessage,
  type AckResp,
  type IndirectPingReq,
  type NackResp,
  type Ping,
  type Suspect,
} from "../wire/index.js";
import { bytesToIp } from "./addr.js";
import type { Awareness } from "./awareness.js";
import type { Diagnostics } from "./diagnostics.js";
import type { SwimNodeConfig } from "./config.js";
import type { Messenger } from "./messenger.js";
import type { NodeTable } from "./node-table.js";
import { protocolMax, type NodeState } from "./node-state.js";
import type { ProtocolStats } from "./stats.js";
import type { Timers } from "./timers.js";
import type { UdpReachability } from "./udp-reachability.js";

interface AckHandler {
  ack: (payload: Uint8Array, at: number) => void;
  nack: (() => void) | undefined;
  timer: unknown;
}

export interface ProbeDeps {
  readonly config: SwimNodeConfig;
  readonly stats: ProtocolStats;
  readonly table: NodeTable;
  readonly timers: Timers;
  readonly messenger: Messenger;
  readonly awareness: Awareness;
  readonly diagnostics: Diagnostics;
  readonly reachability: UdpReachability;
  /** Start suspecting a member that answered no probe. */
  readonly suspect: (s: Suspect) => void;
}

const EMPTY = new Uint8Array(0);

/**
 * Failure detection (memberlist state.go probe/probeNode, net.go handlePing/handleIndirectPing/handleAck):
 * one member per protocol period is pinged; without an ack in probeTimeout, indirectChecks others are
 * asked to ping it (with nacks from members that speak protocol 4), and a TCP ping is tried in parallel;
 * a member none of that reaches is suspected. Lifeguard's local health (awareness) stretches the timeouts
 * when this member itself seems slow.
 */
export class Prober {
  readonly #deps: ProbeDeps;
  readonly #ackHandlers = new Map<number, AckHandler>();
  #seqNo = 0;
  #probing = false;
  #probePending = false;

  constructor(deps: ProbeDeps) {
    this.#deps = deps;
  }

  /** One protocol period; like a Go ticker with a buffer of one, a tick during a probe runs right after it. */
  tick(): void {
    if (this.#probing) {
      this.#probePending = true;
      return;
    }
    this.#probing = true;
    void this.#probe().finally(() => {
      this.#probing = false;
      if (this.#probePending && this.#deps.timers.running) {
        this.#probePending = false;
        this.tick();
      }
    });
  }

  /** Forget every pending ack (shutdown). */
  clear(): void {
    for (const handler of this.#ackHandlers.values()) this.#deps.timers.cancel(handler.timer);
    this.#ackHandlers.clear();
  }

  handleAck(ack: AckResp): void {
    const handler = this.#ackHandlers.get(ack.SeqNo);
    if (handler === undefined) return;
    this.#ackHandlers.delete(ack.SeqNo);
    this.#deps.timers.cancel(handler.timer);
    handler.ack(ack.Payload, this.#deps.config.clock.now());
  }

  handleNack(nack: NackResp): void {
    this.#ackHandlers.get(nack.SeqNo)?.nack?.();
  }

  /** Answer a ping for us, to the address it says to answer (or where it came from). */
  handlePing(ping: Ping, from: string): void {
    if (!this.#forUs(ping)) return;
    const ack = encodeMessage(MessageType.AckResp, { SeqNo: ping.SeqNo, Payload: EMPTY });
    this.#deps.messenger.sendMsg(replyAddress(ping.SourceAddr, ping.SourcePort, from), ping.SourceNode ?? "", ack);
  }

  /** A ping that arrived on a stream (the TCP fallback): the framed ack to write back, or undefined. */
  streamPingReply(ping: Ping): Uint8Array | undefined {
    if (!this.#forUs(ping)) return undefined;
    return this.#deps.messenger.encodeStream(encodeMessage(MessageType.AckResp, { SeqNo: ping.SeqNo, Payload: EMPTY }));
  }

  /** Ping the target on someone else's behalf; relay its ack, or a nack after probeTimeout if asked for. */
  handleIndirectPing(ind: IndirectPingReq, from: string): void {
    const { config: c, messenger, stats } = this.#deps;
    const port = ind.Port === 0 ? c.bindPort : ind.Port;
    const targetIp = bytesToIp(ind.Target);
    if (targetIp === undefined) {
      stats.decodeErrors++;
      return;
    }
    const localSeq = this.#nextSeqNo();
    const replyTo = replyAddress(ind.SourceAddr, ind.SourcePort, from);
    const replyName = ind.SourceNode ?? "";
    let answered = false;
    const handler: AckHandler = {
      ack: () => {
        answered = true;
        messenger.sendMsg(replyTo, replyName, encodeMessage(MessageType.AckResp, { SeqNo: ind.SeqNo, Payload: EMPTY }));
      },
      nack: undefined,
      timer: undefined,
    };
    // deadlines, not plain timers: after a stall, the target's ack may be waiting unread in the socket
    handler.timer = this.#deps.timers.deadline(c.probeTimeoutMs, () => this.#ackHandlers.delete(localSeq));
    this.#ackHandlers.set(localSeq, handler);
    messenger.sendMsg(joinHostPort(targetIp, port), ind.Node, encodeMessage(MessageType.Ping, { SeqNo: localSeq, Node: ind.Node, ...messenger.source() }));
    if (ind.Nack) {
      this.#deps.timers.deadline(c.probeTimeoutMs, () => {
        if (!answered) messenger.sendMsg(replyTo, replyName, encodeMessage(MessageType.NackResp, { SeqNo: ind.SeqNo }));
      });
    }
  }

  #forUs(ping: Ping): boolean {
    if (ping.Node === "" || ping.Node === this.#deps.config.name) return true;
    this.#deps.stats.unexpectedPings++;
    return false;
  }

  async #probe(): Promise<void> {
    const c = this.#deps.config;
    const target = this.#deps.table.nextProbeTarget(c.name, c.clock.now(), c.gossipToTheDeadMs);
    if (target !== undefined) await this.#probeNode(target);
  }

  async #probeNode(target: NodeState): Promise<void> {
    const { config: c, messenger, stats, timers, awareness } = this.#deps;
    const clock = c.clock;
    stats.probes++;
    const probeInterval = awareness.scaleTimeout(c.probeIntervalMs);
    const ping: Ping = { SeqNo: this.#nextSeqNo(), Node: target.name, ...messenger.source() };
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
    // deadlines, not plain timers: when this member was too busy to run them on time, the ack may be
    // waiting unread in the socket, and it is read before the probe counts as failed (Timers.deadline)
    handler.timer = timers.deadline(probeInterval, () => {
      this.#ackHandlers.delete(ping.SeqNo);
      if (ackState === undefined) ackState = false;
      settle(false);
    });
    this.#ackHandlers.set(ping.SeqNo, handler);
    const sent = clock.now();
    const targetAddress = joinHostPort(target.ip, target.port);
    let awarenessDelta = -1;
    try {
      if (target.state === NodeStateType.Alive) {
        messenger.sendMsg(targetAddress, target.name, encodeMessage(MessageType.Ping, ping));
      } else {
        // buddy system: tell a suspect it is suspected, in the same packet as the ping
        const suspect: Suspect = { Incarnation: target.incarnation, Node: target.name, From: c.name };
        messenger.rawSend(targetAddress, target.name, [encodeMessage(MessageType.Ping, ping), encodeMessage(MessageType.Suspect, suspect)]);
      }
      const direct = await Promise.race([ackPromise(), timers.sleepUntilDeadline(c.probeTimeoutMs).then(() => undefined)]);
      if (!timers.running) return;
      if (direct === true) {
        this.#deps.reachability.reachedOverUdp(target.name);
        return;
      }

      // indirect probes through k random alive members
      const peers = this.#deps.table.kRandom(c.indirectChecks, (n) => n.name === c.name || n.name === target.name || n.state !== NodeStateType.Alive);
      let expectedNacks = 0;
      for (const peer of peers) {
        const nack = protocolMax(peer) >= 4;
        if (nack) expectedNacks++;
        const req: IndirectPingReq = { SeqNo: ping.SeqNo, Target: target.addr, Port: target.port, Node: target.name, Nack: nack, ...messenger.source() };
        stats.indirectProbes++;
        messenger.sendMsg(joinHostPort(peer.ip, peer.port), peer.name, encodeMessage(MessageType.IndirectPing, req));
      }
      // TCP fallback ping, in parallel
      const tcpPing = !c.disableTcpPings && protocolMax(target) >= 3;
      if (tcpPing) stats.tcpFallbackPingsTotal++;
      const fallback: Promise<boolean> = tcpPing ? this.#sendPingAndWaitForAck(targetAddress, ping, sent + probeInterval) : Promise.resolve(false);
      if (await ackPromise()) {
        this.#deps.reachability.reachedOverUdp(target.name);
        return;
      }
      if (!timers.running) return;
      stats.udpProbeFailuresTotal++;
      if (await fallback) {
        stats.tcpFallbackSuccessesTotal++;
        this.#deps.reachability.reachedOverTcpOnly(target.name);
        return;
      }
      awarenessDelta = 0;
      if (expectedNacks > 0) {
        if (nacks < expectedNacks) awarenessDelta += expectedNacks - nacks;
      } else {
        awarenessDelta += 1;
      }
      stats.probeFailures++;
      c.logger.debug({ node: target.name }, "swim: suspect has failed, no acks received");
      this.#deps.suspect({ Incarnation: target.incarnation, Node: target.name, From: c.name });
    } finally {
      awareness.applyDelta(awarenessDelta);
    }
  }

  /** The TCP fallback ping (sendPingAndWaitForAck): true when the member acked it before `deadline`. */
  async #sendPingAndWaitForAck(address: string, ping: Ping, deadline: number): Promise<boolean> {
    const { config: c, messenger } = this.#deps;
    const timeout = Math.max(1, deadline - c.clock.now());
    let conn: StreamConnection | undefined;
    try {
      conn = await messenger.dial(address, timeout);
      conn.write(messenger.encodeStream(encodeMessage(MessageType.Ping, ping)));
      const reply = await messenger.readStream(conn, Math.max(1, deadline - c.clock.now()));
      if (reply.type !== MessageType.AckResp) return false;
      return reply.body.SeqNo === ping.SeqNo;
    } catch (error) {
      if (error instanceof EncryptionError) this.#deps.diagnostics.decryptFailed(error, address, "stream");
      return false;
    } finally {
      conn?.close();
    }
  }

  #nextSeqNo(): number {
    this.#seqNo = (this.#seqNo + 1) >>> 0;
    return this.#seqNo;
  }
}

/** Where to answer: the source address a message names, else the address it came from. */
function replyAddress(sourceAddr: Uint8Array | undefined, sourcePort: number | undefined, from: string): string {
  if (sourceAddr !== undefined && sourceAddr.byteLength > 0 && sourcePort !== undefined && sourcePort > 0) {
    const ip = bytesToIp(sourceAddr);
    if (ip !== undefined) return joinHostPort(ip, sourcePort);
  }
  return from;
}
