import { joinHostPort } from "@cachecluster/core";
import { NodeStateType, encryptOverhead } from "../wire/index.js";
import { BroadcastQueue } from "./broadcast-queue.js";
import type { SwimNodeConfig } from "./config.js";
import type { NodeTable } from "./node-table.js";

/** compound overheads (net.go): 1 type byte + 1 count byte; 2 length bytes per part. */
const COMPOUND_HEADER_OVERHEAD = 2;
const COMPOUND_OVERHEAD = 2;
/** The userMsg type byte in front of each user broadcast (net.go userMsgOverhead). */
const USER_MSG_OVERHEAD = 1;

/** The largest user payload one datagram of `udpBufferSize` carries on its own (see Broadcasts.maxUserPayload). */
export function maxUserPayload(udpBufferSize: number, encrypting: boolean): number {
  return udpBufferSize - COMPOUND_HEADER_OVERHEAD - (encrypting ? encryptOverhead(1) : 0) - COMPOUND_OVERHEAD - USER_MSG_OVERHEAD;
}

export type RawSend = (address: string, name: string, msgs: Uint8Array[]) => void;

/**
 * Dissemination (memberlist broadcast.go, and gossip in state.go): news about members waits in a
 * retransmit-limited queue; it rides along on every datagram we send anyway (piggybacking) and goes out
 * on its own every gossip interval to a few random members, each datagram filled to udpBufferSize.
 */
export class Broadcasts {
  readonly #config: Pick<SwimNodeConfig, "name" | "clock" | "udpBufferSize" | "gossipNodes" | "gossipToTheDeadMs" | "maxQueuedBroadcasts">;
  readonly #table: NodeTable;
  readonly #queue: BroadcastQueue;
  /** User broadcasts (the delegate's own TransmitLimitedQueue in memberlist), each stored framed as a userMsg. */
  readonly #user: BroadcastQueue;
  #userSeq = 0;
  readonly #encryptOverhead: number;
  readonly #send: RawSend;

  constructor(config: SwimNodeConfig, table: NodeTable, send: RawSend) {
    this.#config = config;
    this.#table = table;
    this.#queue = new BroadcastQueue(config.retransmitMult, () => table.size);
    this.#user = new BroadcastQueue(config.retransmitMult, () => table.size);
    this.#encryptOverhead = config.keyring !== undefined && config.verifyOutgoing ? encryptOverhead(1) : 0;
    this.#send = send;
  }

  /** Membership messages waiting to be sent (again). */
  get size(): number {
    return this.#queue.size;
  }

  /** User messages waiting to be sent (again). */
  get userSize(): number {
    return this.#user.size;
  }

  /**
   * The largest user payload one datagram carries on its own: the datagram budget less the compound part's
   * length and the userMsg type byte (what `gossip()` can always send).
   */
  get maxUserPayload(): number {
    return maxUserPayload(this.#config.udpBufferSize, this.#encryptOverhead > 0);
  }

  /** Queue news about member `name`, replacing older news about it; `onFinished` runs once it is sent out or replaced. */
  queue(name: string, msg: Uint8Array, onFinished?: () => void): void {
    this.#queue.queue(name, msg, onFinished);
  }

  /**
   * Queue a user message (`framed`: the userMsg type byte, then the payload). With a `key`, it replaces a queued
   * one of the same key; without, it is queued beside every other. Over `maxQueuedBroadcasts`, the oldest
   * quarter is dropped (serf's MaxQueueDepth; memberlist leaves it to the delegate's Prune); returns how many.
   */
  queueUser(framed: Uint8Array, key?: string): number {
    this.#user.queue(key === undefined ? `u${++this.#userSeq}` : `k${key}`, framed);
    // past the bound, drop the oldest quarter at once (the pruning scan is linear)
    const max = this.#config.maxQueuedBroadcasts;
    return this.#user.size > max ? this.#user.prune(Math.floor(max * 0.75)) : 0;
  }

  /** Broadcasts to send along with a message of `msgLength` bytes, within one datagram (getBroadcasts). */
  piggyback(msgLength: number): Uint8Array[] {
    return this.#get(this.#budget() - msgLength);
  }

  /** One gossip round: a datagram of queued broadcasts to each of gossipNodes random members (state.go gossip). */
  gossip(): void {
    if (this.#queue.size === 0 && this.#user.size === 0) return;
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
      const msgs = this.#get(this.#budget());
      if (msgs.length === 0) return;
      this.#send(joinHostPort(node.ip, node.port), node.name, msgs);
    }
  }

  /** Drop everything (shutdown). */
  clear(): void {
    this.#queue.clear();
    this.#user.clear();
  }

  /**
   * memberlist's getBroadcasts: membership messages first, then, in the room they leave, user messages, each
   * costing the compound overhead plus its type byte (the delegate's GetBroadcasts(overhead + 1, avail)).
   */
  #get(limit: number): Uint8Array[] {
    const out = this.#queue.get(COMPOUND_OVERHEAD, limit);
    if (this.#user.size === 0) return out;
    let used = 0;
    for (const msg of out) used += msg.byteLength + COMPOUND_OVERHEAD;
    const avail = limit - used;
    // the queue holds framed messages, so `overhead + 1 + payload` is `overhead + framed length`
    if (avail > COMPOUND_OVERHEAD + USER_MSG_OVERHEAD) for (const msg of this.#user.get(COMPOUND_OVERHEAD, avail)) out.push(msg);
    return out;
  }

  #budget(): number {
    return this.#config.udpBufferSize - COMPOUND_HEADER_OVERHEAD - this.#encryptOverhead;
  }
}
