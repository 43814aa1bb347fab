import { joinHostPort } from "@cachecluster/core";
import { NodeStateType, encryptOverhead } from "../wire/index.js";
import { BroadcastQueue } from "./broadcast-queue.js";
import type { SwimNodeConfig } from "./config.js";
import type { NodeTable } from "./node-table.js";

/** compound overheads (net.go): 1 type byte + 1 count byte; 2 length bytes per part. */
const COMPOUND_HEADER_OVERHEAD = 2;
const COMPOUND_OVERHEAD = 2;

export type RawSend = (address: string, name: string, msgs: Uint8Array[]) => void;

/**
 * Dissemination (memberlist broadcast.go, and gossip in state.go): news about members waits in a
 * retransmit-limited queue; it rides along on every datagram we send anyway (piggybacking) and goes out
 * on its own every gossip interval to a few random members, each datagram filled to udpBufferSize.
 */
export class Broadcasts {
  readonly #config: Pick<SwimNodeConfig, "name" | "clock" | "udpBufferSize" | "gossipNodes" | "gossipToTheDeadMs">;
  readonly #table: NodeTable;
  readonly #queue: BroadcastQueue;
  readonly #encryptOverhead: number;
  readonly #send: RawSend;

  constructor(config: SwimNodeConfig, table: NodeTable, send: RawSend) {
    this.#config = config;
    this.#table = table;
    this.#queue = new BroadcastQueue(config.retransmitMult, () => table.size);
    this.#encryptOverhead = config.keyring !== undefined && config.verifyOutgoing ? encryptOverhead(1) : 0;
    this.#send = send;
  }

  /** Messages waiting to be sent (again). */
  get size(): number {
    return this.#queue.size;
  }

  /** Queue news about member `name`, replacing older news about it; `onFinished` runs once it is sent out or replaced. */
  queue(name: string, msg: Uint8Array, onFinished?: () => void): void {
    this.#queue.queue(name, msg, onFinished);
  }

  /** Broadcasts to send along with a message of `msgLength` bytes, within one datagram (getBroadcasts). */
  piggyback(msgLength: number): Uint8Array[] {
    return this.#queue.get(COMPOUND_OVERHEAD, this.#budget() - msgLength);
  }

  /** One gossip round: a datagram of queued broadcasts to each of gossipNodes random members (state.go gossip). */
  gossip(): void {
    if (this.#queue.size === 0) return;
    const c = this.#config;
    const now = c.clock.now();
    const targets = this.#table.kRandom(c.gossipNodes, (n) => {
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
    for (const node of targets) {
      const msgs = this.#queue.get(COMPOUND_OVERHEAD, this.#budget());
      if (msgs.length === 0) return;
      this.#send(joinHostPort(node.ip, node.port), node.name, msgs);
    }
  }

  /** Drop everything (shutdown). */
  clear(): void {
    this.#queue.clear();
  }

  #budget(): number {
    return this.#config.udpBufferSize - COMPOUND_HEADER_OVERHEAD - this.#encryptOverhead;
  }
}
