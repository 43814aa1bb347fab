import type { Alive, PushNodeState } from "../wire/index.js";
import type { SwimNodeConfig } from "./config.js";
import type { NodeState } from "./node-state.js";
import type { ProtocolStats } from "./stats.js";

/**
 * What the application plugs into the protocol (memberlist's Delegate, AliveDelegate, MergeDelegate and
 * ConflictDelegate), on the protocol's own types; `SwimMembership` adapts its options to it. Every hook may
 * throw: the protocol catches, logs and counts it (`callDelegate`), so gossip goes on.
 */
export interface NodeDelegate {
  /** NotifyMsg: a user message arrived, from the member of that name when known. */
  notifyMsg?(payload: Uint8Array, from: string | undefined): void;
  /** LocalState: the user state sent with a push/pull. */
  localState?(join: boolean): Uint8Array;
  /** MergeRemoteState: the other member's user state, after its member list was merged. */
  mergeRemoteState?(state: Uint8Array, join: boolean): void;
  /** NotifyAlive: an Error refuses the member (it is not added, nor updated). */
  notifyAlive?(alive: Alive): Error | undefined;
  /** NotifyMerge: on a join's push/pull, an Error refuses to merge the other member's list. */
  notifyMerge?(states: readonly PushNodeState[]): Error | undefined;
  /** NotifyConflict: `other` claims the name of `existing` from another address. */
  notifyConflict?(existing: NodeState, other: Alive): void;
}

/** `fn()`, or `fallback` when it throws (logged as `what`, counted in delegateErrorsTotal). */
export function callDelegate<T>(config: Pick<SwimNodeConfig, "logger">, stats: ProtocolStats, what: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (error) {
    stats.delegateErrorsTotal++;
    config.logger.warn({ err: error }, `swim: ${what} threw`);
    return fallback;
  }
}
