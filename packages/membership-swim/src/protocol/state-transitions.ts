import { MessageType, NodeStateType, encodeMessage, type Alive, type Dead, type PushNodeState, type Suspect } from "../wire/index.js";
import type { Awareness } from "./awareness.js";
import { bytesToIp } from "./addr.js";
import type { SwimNodeConfig } from "./config.js";
import { callDelegate, refusal } from "./delegate.js";
import type { NodeTable } from "./node-table.js";
import { isDeadOrLeft, type NodeEvent, type NodeState } from "./node-state.js";
import type { ProtocolStats } from "./stats.js";
import { Suspicion } from "./suspicion.js";
import type { Timers } from "./timers.js";
import { suspicionTimeout } from "./timing.js";

export interface TransitionDeps {
  readonly config: Pick<SwimNodeConfig, "name" | "clock" | "logger" | "suspicionMult" | "suspicionMaxTimeoutMult" | "probeIntervalMs" | "delegate">;
  readonly table: NodeTable;
  readonly stats: ProtocolStats;
  readonly timers: Timers;
  readonly awareness: Awareness;
  /** Queue a broadcast about member `name` (a newer one about the same member replaces it). */
  readonly broadcast: (name: string, msg: Uint8Array, onFinished?: () => void) => void;
  /** Our own leave message has been sent as often as broadcasts are. */
  readonly onLeaveSpread: () => void;
}

/**
 * memberlist's state machine (state.go aliveNode, suspectNode, deadNode, refute, mergeState): what an
 * alive, suspect or dead message does to the member table, with incarnation numbers deciding which news
 * is newer, refutation of rumours about ourselves, Lifeguard suspicion timers, and the events it causes.
 */
export class StateTransitions {
  readonly #deps: TransitionDeps;
  readonly #suspicions = new Map<string, Suspicion>();
  readonly #listeners = new Set<(event: NodeEvent) => void>();
  #incarnation = 0;
  #left = false;

  constructor(deps: TransitionDeps) {
    this.#deps = deps;
  }

  /** Whether we have left (our own death is final: no refutation, no new alive message about us). */
  get left(): boolean {
    return this.#left;
  }

  markLeft(): void {
    this.#left = true;
  }

  nextIncarnation(): number {
    this.#incarnation = (this.#incarnation + 1) >>> 0;
    return this.#incarnation;
  }

  onEvent(listener: (event: NodeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Cancel every suspicion timer (shutdown). */
  clear(): void {
    for (const suspicion of this.#suspicions.values()) suspicion.cancel();
    this.#suspicions.clear();
  }

  /** An alive message: a new member, a newer incarnation of a known one, or (about us) a rumour to refute. */
  aliveNode(a: Alive, bootstrap: boolean): void {
    const { config: c, table } = this.#deps;
    let state = table.get(a.Node);
    // fast path for the common duplicate: same effect as the checks below, without the work
    if (state !== undefined && a.Incarnation <= state.incarnation && a.Node !== c.name && a.Port === state.port && sameBytes(a.Addr, state.addr)) return;
    if (this.#left && a.Node === c.name) return;
    if (a.Vsn.byteLength >= 3) {
      const pMin = a.Vsn[0]!;
      const pMax = a.Vsn[1]!;
      if (pMin === 0 || pMax === 0 || pMin > pMax) {
        this.#deps.stats.badVersions++;
        return;
      }
    }
    const ip = bytesToIp(a.Addr);
    if (ip === undefined) {
      this.#deps.stats.decodeErrors++;
      return;
    }
    if (a.Node !== c.name && !this.#aliveAllowed(a)) return;
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
      table.add(state);
    } else if (!sameBytes(state.addr, a.Addr) || state.port !== a.Port) {
      if (state.state !== NodeStateType.Left) {
        this.#deps.stats.conflicts++;
        this.#conflict(state, a);
        return;
      }
      updatesNode = true;
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
      this.#deps.broadcast(a.Node, encodeMessage(MessageType.Alive, a));
      if (a.Vsn.byteLength > 5) state.vsn = a.Vsn;
      state.incarnation = a.Incarnation;
      table.changed();
      state.meta = a.Meta;
      state.addr = a.Addr;
      state.ip = ip;
      state.port = a.Port;
      if (state.state !== NodeStateType.Alive) {
        state.state = NodeStateType.Alive;
        state.stateChange = c.clock.now();
      }
    }
    if (oldState === NodeStateType.Dead || oldState === NodeStateType.Left) this.#emit({ type: "join", node: state });
    else if (!sameBytes(oldMeta, state.meta)) this.#emit({ type: "update", node: state });
  }

  /** A suspect message: start (or confirm) the Lifeguard suspicion timer; about us, refute. */
  suspectNode(s: Suspect): void {
    const { config: c, table } = this.#deps;
    const state = table.get(s.Node);
    if (state === undefined) return;
    if (s.Incarnation < state.incarnation) return;
    const timer = this.#suspicions.get(s.Node);
    if (timer !== undefined) {
      if (timer.confirm(s.From)) this.#deps.broadcast(s.Node, encodeMessage(MessageType.Suspect, s));
      return;
    }
    if (state.state !== NodeStateType.Alive) return;
    if (state.name === c.name) {
      this.#refute(state, s.Incarnation);
      return;
    }
    this.#deps.broadcast(s.Node, encodeMessage(MessageType.Suspect, s));
    this.#deps.stats.suspicions++;
    state.incarnation = s.Incarnation;
    table.changed();
    state.state = NodeStateType.Suspect;
    const changeTime = c.clock.now();
    state.stateChange = changeTime;
    let k = c.suspicionMult - 2;
    const n = table.size;
    if (n - 2 < k) k = 0;
    const min = suspicionTimeout(c.suspicionMult, n, c.probeIntervalMs);
    const max = c.suspicionMaxTimeoutMult * min;
    this.#suspicions.set(
      s.Node,
      new Suspicion(c.clock, this.#deps.timers, s.From, k, min, max, () => {
        if (!this.#deps.timers.running) return;
        const current = table.get(s.Node);
        if (current !== undefined && current.state === NodeStateType.Suspect && current.stateChange === changeTime) {
          this.deadNode({ Incarnation: current.incarnation, Node: current.name, From: c.name });
        }
      }),
    );
  }

  /** A dead message: the member is dead, or left when it says so itself; about us, refute unless leaving. */
  deadNode(d: Dead): void {
    const { config: c, table } = this.#deps;
    const state = table.get(d.Node);
    if (state === undefined) return;
    if (d.Incarnation < state.incarnation) return;
    this.#clearSuspicion(d.Node);
    if (isDeadOrLeft(state)) return;
    if (state.name === c.name) {
      if (!this.#left) {
        this.#refute(state, d.Incarnation);
        return;
      }
      this.#deps.broadcast(d.Node, encodeMessage(MessageType.Dead, d), this.#deps.onLeaveSpread);
    } else {
      this.#deps.broadcast(d.Node, encodeMessage(MessageType.Dead, d));
    }
    state.incarnation = d.Incarnation;
    table.changed();
    state.state = d.Node === d.From ? NodeStateType.Left : NodeStateType.Dead;
    state.stateChange = c.clock.now();
    if (state.state === NodeStateType.Dead && state.name !== c.name) this.#deps.stats.deaths++;
    this.#emit({ type: "leave", node: state });
  }

  /** mergeState: a remote member list read as alive, left or (for dead and suspect) suspect messages. */
  mergeState(remote: readonly PushNodeState[]): void {
    const self = this.#deps.config.name;
    for (const r of remote) {
      switch (r.State) {
        case NodeStateType.Alive:
          this.aliveNode({ Incarnation: r.Incarnation, Node: r.Name, Addr: r.Addr, Port: r.Port, Meta: r.Meta, Vsn: r.Vsn }, false);
          break;
        case NodeStateType.Left:
          this.deadNode({ Incarnation: r.Incarnation, Node: r.Name, From: r.Name });
          break;
        case NodeStateType.Dead:
        case NodeStateType.Suspect:
          this.suspectNode({ Incarnation: r.Incarnation, Node: r.Name, From: self });
          break;
        default:
          break;
      }
    }
  }

  /**
   * The alive delegate (memberlist's NotifyAlive, asked before a member is added or updated): without its
   * six version bytes an alive message cannot be described to it and is ignored, as memberlist does. Our own
   * alive messages are not asked about (a refusal would leave this member out of its own table).
   */
  #aliveAllowed(a: Alive): boolean {
    const { config: c, stats } = this.#deps;
    const notifyAlive = c.delegate?.notifyAlive;
    if (notifyAlive === undefined) return true;
    if (a.Vsn.byteLength < 6) {
      c.logger.debug({ node: a.Node }, "swim: ignored an alive message without protocol versions (notifyAlive is set)");
      return false;
    }
    const reason = refusal(c, stats, "notifyAlive()", () => notifyAlive(a));
    if (reason === undefined) return true;
    stats.aliveRefusedTotal++;
    c.logger.debug({ node: a.Node, reason: reason.message }, "swim: notifyAlive refused a member");
    return false;
  }

  /** memberlist's "Conflicting address": log it and tell the conflict delegate. */
  #conflict(existing: NodeState, other: Alive): void {
    const { config: c, stats } = this.#deps;
    c.logger.debug({ node: existing.name, existing: `${existing.ip}:${existing.port}`, otherPort: other.Port }, "swim: conflicting address for a member");
    const notifyConflict = c.delegate?.notifyConflict;
    if (notifyConflict !== undefined) callDelegate(c, stats, "notifyConflict()", () => notifyConflict(existing, other), undefined);
  }

  /** Answer a rumour about ourselves with an alive message of a higher incarnation. */
  #refute(me: NodeState, accusedInc: number): void {
    let inc = this.nextIncarnation();
    if (accusedInc >= inc) {
      this.#incarnation = accusedInc + 1;
      inc = this.#incarnation;
    }
    me.incarnation = inc;
    this.#deps.table.changed();
    this.#deps.awareness.applyDelta(1);
    this.#deps.stats.refutations++;
    const a: Alive = { Incarnation: inc, Node: me.name, Addr: me.addr, Port: me.port, Meta: me.meta, Vsn: me.vsn };
    this.#deps.broadcast(me.name, encodeMessage(MessageType.Alive, a));
  }

  #clearSuspicion(name: string): void {
    const timer = this.#suspicions.get(name);
    if (timer === undefined) return;
    timer.cancel();
    this.#suspicions.delete(name);
  }

  #emit(event: NodeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#deps.config.logger.warn({ err: error }, "swim: a membership listener threw");
      }
    }
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
