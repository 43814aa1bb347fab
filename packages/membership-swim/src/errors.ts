import { CacheClusterError } from "@cachecluster/core";

/**
 * Why a member's answer to a push/pull could not be used: `keys-differ`: one side cannot decrypt the
 * other's gossip; `encryption-mismatch`: one side encrypts and the other does not; `undecodable`: the
 * answer does not decode; `remote-error`: the member answered with an error of another kind; `merge-refused`:
 * this member's `notifyMerge` refused the member's cluster.
 */
export type ExchangeProblem = "keys-differ" | "encryption-mismatch" | "undecodable" | "remote-error" | "merge-refused";

/** One seed whose answer could not be used. */
export interface SeedFailure {
  /** The seed's `host:port`. */
  readonly address: string;
  /** What its answer says about the two members' configuration. */
  readonly problem: ExchangeProblem;
  /** What went wrong, for people. */
  readonly message: string;
}

/**
 * `join()` reached seeds but could use none of their answers: the gossip keys differ, one side encrypts
 * and the other does not, the answers do not decode, or `notifyMerge` refused them (memberlist's Join
 * returns an error then too).
 * Code `CACHECLUSTER_MEMBERSHIP_FAILED`; `problem` is the first seed's, `seeds` lists each.
 */
export class SwimJoinError extends CacheClusterError {
  /** The first seed's problem (match on it, e.g. `keys-differ`). */
  readonly problem: ExchangeProblem;
  /** Every seed whose answer could not be used, in the order they failed. */
  readonly seeds: readonly SeedFailure[];

  constructor(seeds: readonly [SeedFailure, ...SeedFailure[]], options?: { cause?: unknown }) {
    const [first] = seeds;
    const more = seeds.length > 1 ? ` (and ${seeds.length - 1} more seed${seeds.length > 2 ? "s" : ""})` : "";
    super("CACHECLUSTER_MEMBERSHIP_FAILED", `cannot join through ${first.address}: ${first.message}${more}`, options);
    this.name = "SwimJoinError";
    this.problem = first.problem;
    this.seeds = seeds;
  }
}

/** A member answered a stream with memberlist's error reply (errMsg); `remoteMessage` is its text. */
export class RemoteError extends CacheClusterError {
  readonly remoteMessage: string;

  constructor(remoteMessage: string) {
    super("CACHECLUSTER_MEMBERSHIP_FAILED", `remote error: ${remoteMessage}`);
    this.name = "RemoteError";
    this.remoteMessage = remoteMessage;
  }
}

/** `notifyMerge` refused to merge the member list of a join's push/pull (memberlist's "merge canceled"). */
export class MergeRefusedError extends CacheClusterError {
  constructor(reason: Error) {
    super("CACHECLUSTER_MEMBERSHIP_FAILED", `notifyMerge refused to merge: ${reason.message}`, { cause: reason });
    this.name = "MergeRefusedError";
  }
}
