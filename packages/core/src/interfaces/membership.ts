import type { DiscoveredPeer } from "./discovery.js";
import type { LocalNode } from "./local-node.js";
import type { Unsubscribe } from "./startable.js";

export type MemberState = "alive" | "suspect" | "dead" | "left";

export interface Member {
  /** Unique member name (memberlist's Node.Name). */
  readonly id: string;
  /** Gossip address `host:port`. */
  readonly address: string;
  /** Base URL of the member's cache HTTP server (carried in member metadata). */
  readonly cacheUrl: string;
  readonly state: MemberState;
  readonly incarnation: number;
}

export type MembershipEventType = "join" | "leave" | "fail" | "update";

export interface MembershipEvent {
  readonly type: MembershipEventType;
  readonly member: Member;
  /** `Date.now()` (or the virtual clock) when the event was observed. */
  readonly at: number;
}

/**
 * Keeps the live member list. The ring is built from the cache URLs of `members()` (alive and suspect).
 * Implementations: SWIM gossip (`@cachecluster/membership-swim`), or core's `DirectMembership`
 * that takes discovery's list as it is.
 */
export interface Membership {
  /**
   * Take part as `local`. The cluster calls it once, after its cache server listens (so `local.cacheUrl` is the
   * bound URL) and after discovery started.
   */
  start(local: LocalNode): Promise<void>;
  /** Stop taking part (without announcing it: `leave()` does that). Safe to call twice, or before `start()`. */
  stop(): Promise<void>;
  /** This node; before `start()`, throws a `CACHECLUSTER_NOT_STARTED` error. */
  self(): Member;
  /** Members that take part in the ring: alive and suspect, self included (empty before `start()`). */
  members(): readonly Member[];
  /** Contact these peers (seeds from discovery). Resolves with how many were reached; never throws for unreachable ones. */
  join(peers: readonly DiscoveredPeer[]): Promise<number>;
  /** Announce departure and wait up to `timeoutMs` for it to spread. */
  leave(timeoutMs?: number): Promise<void>;
  onEvent(listener: (event: MembershipEvent) => void): Unsubscribe;
}

/**
 * A membership that can gossip small payloads to every member (memberlist's user messages), which core uses to
 * invalidate hot copies on `remove`/`set` in one gossip message instead of one HTTP request per peer.
 * `@cachecluster/membership-swim` implements it; `DirectMembership` does not (core then falls back to HTTP).
 */
export interface MembershipBroadcast {
  /** Largest payload `broadcast()` accepts, in bytes. */
  readonly maxBroadcastBytes: number;
  /**
   * Gossip `payload` to every member: piggybacked on protocol packets and retransmitted like membership updates
   * (memberlist's user-message broadcasts). A later broadcast with the same `key` replaces a queued one. Throws
   * an `InvalidArgumentError` (`CACHECLUSTER_INVALID_ARGUMENT`) over `maxBroadcastBytes`.
   */
  broadcast(payload: Uint8Array, key?: string): void;
  /** Payloads other members broadcast or sent to this one (memberlist's NotifyMsg), with the sender when known. */
  onMessage(listener: (payload: Uint8Array, from: string | undefined) => void): Unsubscribe;
}

/** Whether `membership` can gossip payloads (implements `MembershipBroadcast`). */
export function canBroadcast(membership: Membership): membership is Membership & MembershipBroadcast {
  const m = membership as Partial<MembershipBroadcast>;
  return typeof m.broadcast === "function" && typeof m.onMessage === "function" && typeof m.maxBroadcastBytes === "number";
}
