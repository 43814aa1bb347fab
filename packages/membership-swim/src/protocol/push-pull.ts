import { DecodeError, joinHostPort, type StreamConnection } from "@cachecluster/core";
import { RemoteError, type SeedFailure } from "../errors.js";
import { MessageType, NodeStateType, encodePushPull, type PushNodeState, type PushPull as PushPullMessage } from "../wire/index.js";
import type { SwimNodeConfig } from "./config.js";
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
      this.#mergeRemoteState(remote);
    } catch (error) {
      this.#deps.stats.pushPullFailures++;
      this.#deps.diagnostics.exchangeFailed(address, error);
      throw error;
    }
    this.#deps.diagnostics.exchangeSucceeded(address);
  }

  /** Answer a push/pull another member started: our state back, then merge theirs (handleConn). */
  answer(conn: StreamConnection, remote: PushPullMessage): void {
    conn.write(this.#encodedLocalState(false));
    this.#mergeRemoteState(remote.states);
  }

  async #sendAndReceiveState(address: string, join: boolean): Promise<PushNodeState[]> {
    const { config: c, messenger } = this.#deps;
    const deadline = c.clock.now() + c.tcpTimeoutMs;
    const conn = await messenger.dial(address, c.tcpTimeoutMs);
    try {
      conn.write(this.#encodedLocalState(join));
      const reply = await messenger.readStream(conn, Math.max(1, deadline - c.clock.now()));
      if (reply.type === MessageType.Err) throw new RemoteError(reply.body.Error);
      if (reply.type !== MessageType.PushPull) throw new DecodeError(`expected a push/pull reply, got message type ${reply.type}`);
      return reply.body.states;
    } finally {
      conn.close();
    }
  }

  /** sendLocalState's bytes, reused while the member table is unchanged (big clusters push/pull often). */
  #encodedLocalState(join: boolean): Uint8Array {
    const { table, messenger } = this.#deps;
    const cached = this.#encoded;
    if (cached !== undefined && cached.version === table.version && cached.join === join && !messenger.encrypting) return cached.bytes;
    const states = table.all().map((n) => ({ Name: n.name, Addr: n.addr, Port: n.port, Meta: n.meta, Incarnation: n.incarnation, State: n.state, Vsn: n.vsn }));
    const bytes = messenger.encodeStream(encodePushPull({ join, states, userState: new Uint8Array(0) }));
    this.#encoded = { version: table.version, join, bytes };
    return bytes;
  }

  /** mergeRemoteState: refuse a state with incompatible protocol versions, else merge it. */
  #mergeRemoteState(remote: readonly PushNodeState[]): void {
    const problem = verifyProtocol(remote, this.#deps.table.all());
    if (problem !== undefined) {
      this.#deps.stats.badVersions++;
      throw new DecodeError(`push/pull refused: ${problem}`);
    }
    this.#deps.transitions.mergeState(remote);
  }
}
