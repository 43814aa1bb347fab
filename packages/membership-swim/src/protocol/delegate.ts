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
  readonly notifyMsg?: (payload: Uint8Array, from: string | undefined) => void;
  /** LocalState: the user state sent with a push/pull. */
  readonly localState?: (join: boolean) => Uint8Array;
  /** MergeRemoteState: the other member's user state, after its member list was merged. */
  readonly mergeRemoteState?: (state: Uint8Array, join: boolean) => void;
  /** NotifyAlive: an Error refuses the member (it is not added, nor updated). */
  readonly notifyAlive?: (alive: Alive) => unknown;
  /** NotifyMerge: on a join's push/pull, an Error refuses to merge the other member's list. */
  readonly notifyMerge?: (states: readonly PushNodeState[]) => unknown;
  /** NotifyConflict: `other` claims the name of `existing` from another address. */
  readonly notifyConflict?: (existing: NodeState, other: Alive) => void;
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

/**
 * Ask a hook that may refuse (notifyAlive, notifyMerge): the reason when it refuses, undefined when it accepts.
 * Returning nothing accepts; returning an Error, throwing, or returning anything else (a Promise: hooks are
 * synchronous) refuses, the last two logged and counted as the application's bug.
 */
export function refusal(config: Pick<SwimNodeConfig, "logger">, stats: ProtocolStats, what: string, fn: () => unknown): Error | undefined {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    stats.delegateErrorsTotal++;
    config.logger.warn({ err: error }, `swim: ${what} threw; taken as a refusal`);
    return error instanceof Error ? error : new Error(String(error));
  }
  if (result === undefined || result === null) return undefined;
  if (result instanceof Error) return result;
  stats.delegateErrorsTotal++;
  const got = result instanceof Promise ? "a Promise (hooks are synchronous)" : typeof result;
  config.logger.warn({ got }, `swim: ${what} must return nothing or an Error, got ${got}; taken as a refusal`);
  return new Error(`${what} returned ${got}`);
}
