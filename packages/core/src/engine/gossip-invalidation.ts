import { describe } from "../errors.js";
import type { Clock } from "../interfaces/clock.js";
import type { Logger } from "../interfaces/logger.js";
import type { MembershipBroadcast } from "../interfaces/membership.js";
import type { Unsubscribe } from "../interfaces/startable.js";
import { decodeMessage, encodeGroup, encodeKey, encodeMessage, messageSize } from "./invalidation-codec.js";

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
  /** Invalidation messages received from other members. */
  messagesReceived: number;
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
}

/** At most one warning per kind of bad message per minute; the rest are debug (the counters have them all). */
const WARN_EVERY_MS = 60_000;

/**
 * Hot-cache invalidation carried by the membership's gossip (memberlist's user messages): `remove`/`set` queue one
 * small message instead of one HTTP request per peer. Keys invalidated in the same turn are packed into as few
 * messages per group as `maxBroadcastBytes` allows; a message holding one key is queued under a name, so a later
 * invalidation of the same key replaces it in the queue rather than adding to it.
 */
export class GossipInvalidation implements Invalidator {
  readonly #membership: MembershipBroadcast;
  readonly #deps: GossipInvalidationDeps;
  readonly #stats: InvalidationStats = {
    messagesSent: 0,
    keysSent: 0,
    messagesReceived: 0,
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

  constructor(membership: MembershipBroadcast, deps: GossipInvalidationDeps) {
    this.#membership = membership;
    this.#deps = deps;
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
    if (messageSize(encodeGroup(group), 1, encoded.length) > this.#membership.maxBroadcastBytes) {
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
      const header = encodeGroup(group);
      let batch: Uint8Array[] = [];
      let batchKeys: string[] = [];
      let bytes = 0;
      for (const [key, encoded] of keys) {
        if (batch.length > 0 && messageSize(header, batch.length + 1, bytes + encoded.length) > max) {
          this.#send(group, header, batch, batchKeys);
          batch = [];
          batchKeys = [];
          bytes = 0;
        }
        batch.push(encoded);
        batchKeys.push(key);
        bytes += encoded.length;
      }
      this.#send(group, header, batch, batchKeys);
    }
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
    this.#stats.messagesReceived++;
    this.#stats.keysReceived += message.keys.length;
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

  #send(group: string, header: Uint8Array, keys: readonly Uint8Array[], names: readonly string[]): void {
    const payload = encodeMessage(header, keys);
    try {
      // One key: named, so a newer invalidation of it replaces the queued one. Several: queued as they are.
      this.#membership.broadcast(payload, names.length === 1 ? `cachecluster/invalidate/${group}/${names[0]}` : undefined);
      this.#stats.messagesSent++;
      this.#stats.keysSent += keys.length;
    } catch (error) {
      this.#deps.logger.warn({ err: error, group, keys: names.length }, `cachecluster: gossiping an invalidation failed: ${describe(error)}`);
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
