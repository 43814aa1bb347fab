import { DecodeError, joinHostPort, type StreamConnection } from "@cachecluster/core";
import { MergeRefusedError, RemoteError, type SeedFailure } from "../errors.js";
import { MessageType, NodeStateType, encodePushPull, type PushPull as PushPullMessage } from "../wire/index.js";
import type { SwimNodeConfig } from "./config.js";
import { callDelegate, refusal } from "./delegate.js";
import { classifyExchangeError, type Diagnostics } from "./diagnostics.js";
import type { Messenger } from "./messenger.js";
import type { NodeTable } from "./node-table.js";
import type { ProtocolStats } from "./stats.js";
import type { StateTransitions } from "./state-transitions.js";
import { verifyProtocol } from "./verify-protocol.js";

export interface PushPullDeps {
  readonly config: SwimNodeConfig;
  readonly stats: ProtocolStats;
  readonly table: NodeTable;
  readonly messenger: Messenger;
  readonly transitions: StateTransitions;
  readonly diagnostics: Diagnostics;
}

/** How a join went: how many seeds answered, and the seeds whose answers could not be used. */
export interface JoinOutcome {
  reached: number;
  failures: { failure: SeedFailure; error: unknown }[];
}

/**
 * Anti-entropy (memberlist net.go pushPullNode, sendAndReceiveState, sendLocalState, mergeRemoteState):
 * two members swap their whole member lists over a stream and each merges the other's. A join is one,
 * with each seed; members also do one with a random member every (scaled) push/pull interval, which
 * repairs whatever gossip missed.
 */
export class PushPull {
  readonly #deps: PushPullDeps;
  #encoded: { version: number; join: boolean; bytes: Uint8Array } | undefined;

  constructor(deps: PushPullDeps) {
    this.#deps = deps;
  }

  /** Push/pull with each address (`host:port`) except `self`; never rejects. */
  async join(addresses: readonly string[], self: string): Promise<JoinOutcome> {
    const outcome: JoinOutcome = { reached: 0, failures: [] };
    await Promise.all(
      addresses.map(async (address) => {
        if (address === self) return;
        try {
          await this.pushPullNode(address, true);
          outcome.reached++;
        } catch (error) {
          const classified = classifyExchangeError(error);
          if (classified !== undefined) outcome.failures.push({ failure: { address, ...classified }, error });
          this.#deps.config.logger.debug({ err: error, address }, "swim: join failed");
        }
      }),
    );
    return outcome;
  }

  /** The periodic push/pull, with one random alive member. */
  tick(): void {
    const c = this.#deps.config;
    const [node] = this.#deps.table.kRandom(1, (n) => n.name === c.name || n.state !== NodeStateType.Alive);
    if (node === undefined) return;
    this.pushPullNode(joinHostPort(node.ip, node.port), false).catch((error: unknown) => {
      c.logger.debug({ err: error, node: node.name }, "swim: push/pull failed");
    });
  }

  /** Swap states with the member at `address` and merge its state; rejects when that fails. */
  async pushPullNode(address: string, join: boolean): Promise<void> {
    this.#deps.stats.pushPulls++;
    try {
      const remote = await this.#sendAndReceiveState(address, join);
      this.#mergeRemoteState(remote, join, address);
    } catch (error) {
      this.#deps.stats.pushPullFailures++;
      // a refusal is this member's own decision, not a problem of the exchange
      if (!(error instanceof MergeRefusedError)) this.#deps.diagnostics.exchangeFailed(address, error);
      throw error;
    }
    this.#deps.diagnostics.exchangeSucceeded(address);
  }

  /**
   * Answer a push/pull another member started: our state back, then merge theirs (handleConn). A merge that
   * `notifyMerge` refuses is logged; the other member learns nothing of it, as with memberlist.
   */
  answer(conn: StreamConnection, remote: PushPullMessage): void {
    conn.write(this.#encodedLocalState(remote.join));
    try {
      this.#mergeRemoteState(remote, remote.join, conn.remote);
    } catch (error) {
      if (!(error instanceof MergeRefusedError)) throw error;
      this.#deps.config.logger.info({ from: conn.remote, reason: error.message }, "swim: refused to merge the cluster of a joining member");
    }
  }

  async #sendAndReceiveState(address: string, join: boolean): Promise<PushPullMessage> {
    const { config: c, messenger } = this.#deps;
    const deadline = c.clock.now() + c.tcpTimeoutMs;
    const conn = await messenger.dial(address, c.tcpTimeoutMs);
    try {
      conn.write(this.#encodedLocalState(join));
      const reply = await messenger.readStream(conn, Math.max(1, deadline - c.clock.now()));
      if (reply.type === MessageType.Err) throw new RemoteError(reply.body.Error);
      if (reply.type !== MessageType.PushPull) throw new DecodeError(`expected a push/pull reply, got message type ${reply.type}`);
      return reply.body;
    } finally {
      conn.close();
    }
  }

  /**
   * sendLocalState's bytes, with the delegate's user state; reused while the member table is unchanged and
   * there is no user state to ask for (big clusters push/pull often).
   */
  #encodedLocalState(join: boolean): Uint8Array {
    const { table, messenger } = this.#deps;
    const userState = this.#localUserState(join);
    const cached = this.#encoded;
    if (userState === undefined && cached !== undefined && cached.version === table.version && cached.join === join && !messenger.encrypting) {
      return cached.bytes;
    }
    const states = table.all().map((n) => ({ Name: n.name, Addr: n.addr, Port: n.port, Meta: n.meta, Incarnation: n.incarnation, State: n.state, Vsn: n.vsn }));
    const bytes = messenger.encodeStream(encodePushPull({ join, states, userState: userState ?? new Uint8Array(0) }));
    if (userState === undefined) this.#encoded = { version: table.version, join, bytes };
    return bytes;
  }

  /** The delegate's LocalState, or undefined without one; one that throws or is too large is sent as none. */
  #localUserState(join: boolean): Uint8Array | undefined {
    const { config: c, stats } = this.#deps;
    const localState = c.delegate?.localState;
    if (localState === undefined) return undefined;
    const state = callDelegate(c, stats, "localState()", () => localState(join), new Uint8Array(0));
    if (!(state instanceof Uint8Array)) {
      stats.delegateErrorsTotal++;
      c.logger.warn({ got: typeof state }, "swim: localState() must return a Uint8Array; sending no user state");
      return new Uint8Array(0);
    }
    if (state.byteLength > c.maxUserStateBytes) {
      stats.delegateErrorsTotal++;
      c.logger.warn(
        { bytes: state.byteLength, max: c.maxUserStateBytes },
        `swim: localState() returned ${state.byteLength} bytes, over maxUserStateBytes (${c.maxUserStateBytes}); sending no user state`,
      );
      return new Uint8Array(0);
    }
    return state;
  }

  /**
   * mergeRemoteState: refuse a state with incompatible protocol versions, or (on a join) one `notifyMerge`
   * refuses, else merge it and hand its user state to the delegate.
   */
  #mergeRemoteState(remote: PushPullMessage, join: boolean, from: string): void {
    const { config: c, stats } = this.#deps;
    const problem = verifyProtocol(remote.states, this.#deps.table.all());
    if (problem !== undefined) {
      stats.badVersions++;
      throw new DecodeError(`push/pull refused: ${problem}`);
    }
    const notifyMerge = c.delegate?.notifyMerge;
    if (join && notifyMerge !== undefined) {
      const reason = refusal(c, stats, "notifyMerge()", () => notifyMerge(remote.states));
      if (reason !== undefined) {
        stats.mergesRefusedTotal++;
        throw new MergeRefusedError(reason);
      }
    }
    this.#deps.transitions.mergeState(remote.states);
    this.#mergeUserState(remote.userState, join, from);
  }

  #mergeUserState(state: Uint8Array, join: boolean, from: string): void {
    const { config: c, stats } = this.#deps;
    const mergeRemoteState = c.delegate?.mergeRemoteState;
    if (mergeRemoteState === undefined || state.byteLength === 0) return;
    if (state.byteLength > c.maxUserStateBytes) {
      stats.delegateErrorsTotal++;
      c.logger.warn(
        { from, bytes: state.byteLength, max: c.maxUserStateBytes },
        `swim: the user state from ${from} is ${state.byteLength} bytes, over maxUserStateBytes (${c.maxUserStateBytes}); not passed to mergeRemoteState()`,
      );
      return;
    }
    callDelegate(c, stats, "mergeRemoteState()", () => mergeRemoteState(state, join), undefined);
  }
}
