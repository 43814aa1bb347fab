import { describe } from "../errors.js";
import type { Clock } from "../interfaces/clock.js";
import type { Logger } from "../interfaces/logger.js";
import type { MembershipBroadcast } from "../interfaces/membership.js";
import type { Unsubscribe } from "../interfaces/startable.js";
import { randomBytes } from "node:crypto";
import { ORIGIN_BYTES, SEQUENCE_LIMIT, decodeMessage, encodeGroup, encodeKey, encodeMessage, messageSize } from "./invalidation-codec.js";

/** What a group offers the invalidation it receives (`CacheGroup.invalidate`). */
export interface InvalidationTarget {
  /** Drop this node's copy of `key` (never the owner's main entry); true when a copy was dropped. */
  invalidate(key: string): boolean;
}

/** Sends a group's invalidations; false when the key cannot be gossiped (too long), so the caller falls back to HTTP. */
export interface Invalidator {
  invalidate(group: string, key: string): boolean;
}

/** Counters of the gossiped invalidations of one node (exported as `cachecluster_invalidation_*`). */
export interface InvalidationStats {
  /** Invalidation messages handed to the membership's broadcast queue. */
  messagesSent: number;
  /** Keys in them (several keys of one group, invalidated in the same turn, share a message). */
  keysSent: number;
  /** Invalidation messages received from other members (each counted once: later copies are `duplicates`). */
  messagesReceived: number;
  /** Copies of messages received before (gossip delivers some more than once), or this node's own, relayed back. */
  duplicates: number;
  /** Received messages queued again for gossip (each node relays each message once). */
  relayed: number;
  /** Keys in them. */
  keysReceived: number;
  /** Received keys of which this node held a copy, now dropped. */
  copiesDropped: number;
  /** Received keys of a group this node does not have (nothing to drop). */
  unknownGroup: number;
  /** cachecluster messages of a format this version does not know (a newer node): ignored. */
  unsupported: number;
  /** cachecluster messages that do not decode (truncated, garbled): ignored. */
  malformed: number;
  /** The application's own user messages (not cachecluster's): left to the application. */
  foreign: number;
  /** Keys too long for one message, invalidated over HTTP instead. */
  tooLong: number;
}

export interface GossipInvalidationDeps {
  /** The group of that name on this node, if any. */
  readonly group: (name: string) => InvalidationTarget | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This node's id in its messages (8 bytes); default random. */
  readonly origin?: Uint8Array;
}

/** At most one warning per kind of bad message per minute; the rest are debug (the counters have them all). */
const WARN_EVERY_MS = 60_000;
/**
 * Message ids remembered to apply and relay each message once. A message stops circulating a few seconds after it
 * was sent (each node transmits it a limited number of times); one forgotten earlier is applied and relayed again,
 * which is harmless (an invalidation is idempotent) and dies out the same way.
 */
const SEEN_LIMIT = 16_384;

/**
 * Hot-cache invalidation carried by the membership's gossip (memberlist's user messages): `remove`/`set` queue one
 * small message instead of one HTTP request per peer. Keys invalidated in the same turn are packed into as few
 * messages per group as `maxBroadcastBytes` allows; a message holding one key is queued under a name (origin, group,
 * key), so a later invalidation of the same key from the same node replaces it in the queue rather than adding to it.
 *
 * memberlist hands a user message only to the members its author gossips with (about `retransmitMult * log10 N`
 * sends, no relaying), so, as serf does for its user events, every node relays each message it receives the first
 * time (by origin and sequence number) and ignores the copies that follow: the message spreads as membership news
 * does, in O(log N) gossip rounds.
 */
export class GossipInvalidation implements Invalidator {
  readonly #membership: MembershipBroadcast;
  readonly #deps: GossipInvalidationDeps;
  readonly #stats: InvalidationStats = {
    messagesSent: 0,
    keysSent: 0,
    messagesReceived: 0,
    duplicates: 0,
    relayed: 0,
    keysReceived: 0,
    copiesDropped: 0,
    unknownGroup: 0,
    unsupported: 0,
    malformed: 0,
    foreign: 0,
    tooLong: 0,
  };
  /** Keys to send, by group, in the order invalidated. */
  #pending = new Map<string, Map<string, Uint8Array>>();
  #flushTimer: unknown;
  #unsubscribe: Unsubscribe | undefined;
  readonly #warnedAt = new Map<string, number>();
  readonly #origin: Uint8Array;
  readonly #originHex: string;
  #sequence = 0;
  /** Ids ("<origin>:<sequence>") of the messages applied, oldest first. */
  readonly #seen = new Set<string>();

  constructor(membership: MembershipBroadcast, deps: GossipInvalidationDeps) {
    this.#membership = membership;
    this.#deps = deps;
    this.#origin = deps.origin ?? randomBytes(ORIGIN_BYTES);
    if (this.#origin.length !== ORIGIN_BYTES) throw new RangeError(`expected an origin id of ${ORIGIN_BYTES} bytes, got ${this.#origin.length}`);
    this.#originHex = Buffer.from(this.#origin).toString("hex");
  }

  /** Listen to the membership's messages. */
  start(): void {
    this.#unsubscribe ??= this.#membership.onMessage((payload, from) => this.receive(payload, from));
  }

  /** Send what is queued and stop listening. */
  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.flush();
  }

  stats(): Readonly<InvalidationStats> {
    return { ...this.#stats };
  }

  invalidate(group: string, key: string): boolean {
    const encoded = encodeKey(key);
    if (messageSize(this.#largestHeader(group), 1, encoded.length) > this.#membership.maxBroadcastBytes) {
      this.#stats.tooLong++;
      return false;
    }
    let keys = this.#pending.get(group);
    if (keys === undefined) this.#pending.set(group, (keys = new Map<string, Uint8Array>()));
    keys.set(key, encoded);
    this.#flushTimer ??= this.#deps.clock.setTimeout(() => this.flush(), 0);
    return true;
  }

  /** Broadcast the queued invalidations now (normally done by a timer at the end of the turn). */
  flush(): void {
    if (this.#flushTimer !== undefined) this.#deps.clock.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const pending = this.#pending;
    if (pending.size === 0) return;
    this.#pending = new Map();
    const max = this.#membership.maxBroadcastBytes;
    for (const [group, keys] of pending) {
      // Packed against the largest header (a 4-byte sequence number): the message sent is never larger.
      const header = this.#largestHeader(group);
      let batch: Uint8Array[] = [];
      let batchKeys: string[] = [];
      let bytes = 0;
      for (const [key, encoded] of keys) {
        if (batch.length > 0 && messageSize(header, batch.length + 1, bytes + encoded.length) > max) {
          this.#send(group, batch, batchKeys);
          batch = [];
          batchKeys = [];
          bytes = 0;
        }
        batch.push(encoded);
        batchKeys.push(key);
        bytes += encoded.length;
      }
      this.#send(group, batch, batchKeys);
    }
  }

  #largestHeader(group: string): Uint8Array {
    return encodeGroup(group, this.#origin, SEQUENCE_LIMIT - 1);
  }

  /** Apply a message from another member (the membership's `onMessage`). Never throws. */
  receive(payload: Uint8Array, from: string | undefined): void {
    let message;
    try {
      message = decodeMessage(payload);
    } catch (error) {
      this.#stats.malformed++;
      this.#complain("malformed", { err: error, from, bytes: payload.length }, `cachecluster: ignored a malformed invalidation message: ${describe(error)}`);
      return;
    }
    if (message.kind === "foreign") {
      this.#stats.foreign++;
      return;
    }
    if (message.kind === "unsupported") {
      this.#stats.unsupported++;
      this.#complain(
        "unsupported",
        { from, version: message.version, type: message.type },
        `cachecluster: ignored an invalidation message of format version ${message.version}, type ${message.type} (a newer cachecluster?)`,
      );
      return;
    }
    if (message.origin === this.#originHex || this.#seen.has(message.id)) {
      this.#stats.duplicates++;
      return;
    }
    this.#seen.add(message.id);
    if (this.#seen.size > SEEN_LIMIT) this.#seen.delete(this.#seen.values().next().value!);
    this.#stats.messagesReceived++;
    this.#stats.keysReceived += message.keys.length;
    this.#relay(payload, message.origin, message.group, message.keys);
    const group = this.#deps.group(message.group);
    if (group === undefined) {
      this.#stats.unknownGroup += message.keys.length;
      return;
    }
    for (const key of message.keys) {
      try {
        if (group.invalidate(key)) this.#stats.copiesDropped++;
      } catch (error) {
        this.#deps.logger.warn({ err: error, group: message.group, key }, "cachecluster: applying an invalidation failed");
      }
    }
  }

  #send(group: string, keys: readonly Uint8Array[], names: readonly string[]): void {
    const payload = encodeMessage(encodeGroup(group, this.#origin, this.#sequence), keys);
    this.#sequence = (this.#sequence + 1) % SEQUENCE_LIMIT;
    if (this.#broadcast(payload, this.#originHex, group, names)) {
      this.#stats.messagesSent++;
      this.#stats.keysSent += keys.length;
    }
  }

  #relay(payload: Uint8Array, origin: string, group: string, keys: readonly string[]): void {
    if (this.#broadcast(payload, origin, group, keys)) this.#stats.relayed++;
  }

  /**
   * One key: queued under a name, so a newer invalidation of that key from the same origin replaces it. Only
   * from the same origin: that one was created after the owner acknowledged the older one's change, so nobody
   * misses a change; another node's may be older. Several keys: queued as they are.
   */
  #broadcast(payload: Uint8Array, origin: string, group: string, keys: readonly string[]): boolean {
    try {
      this.#membership.broadcast(payload, keys.length === 1 ? `cachecluster/invalidate/${origin}/${group}/${keys[0]}` : undefined);
      return true;
    } catch (error) {
      this.#deps.logger.warn({ err: error, group, keys: keys.length }, `cachecluster: gossiping an invalidation failed: ${describe(error)}`);
      return false;
    }
  }

  #complain(kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.#deps.clock.now();
    const last = this.#warnedAt.get(kind);
    const total = kind === "malformed" ? this.#stats.malformed : this.#stats.unsupported;
    if (last === undefined || now - last >= WARN_EVERY_MS) {
      this.#warnedAt.set(kind, now);
      this.#deps.logger.warn({ ...fields, total }, message);
    } else {
      this.#deps.logger.debug({ ...fields, total }, message);
    }
  }
}
