import { DecodeError, splitHostPort } from "@cachecluster/core";
import { MergeRefusedError, RemoteError, SwimJoinError, type ExchangeProblem, type SeedFailure } from "../errors.js";
import { EncryptionError } from "../wire/index.js";
import type { SwimNodeConfig } from "./config.js";
import type { ProtocolStats } from "./stats.js";

/** Incoming gossip we could not decrypt counts as a current problem for this long after the last of it. */
export const RECENT_DECRYPT_FAILURE_MS = 60_000;
/** Causes logged at error level, at most; later new causes go to debug. */
const MAX_LOGGED_CAUSES = 256;
/** Members with an unresolved push/pull problem remembered, at most (the oldest is forgotten). */
const MAX_EXCHANGE_PROBLEMS = 64;

/**
 * What a push/pull failure says about the two members' configuration: a key or encryption mismatch, an
 * undecodable answer or an error reply, each explained for people; undefined for the failures that are
 * about reachability (refused, timed out, closed), which are not errors of anyone's configuration.
 */
export function classifyExchangeError(error: unknown): { problem: ExchangeProblem; message: string } | undefined {
  if (error instanceof EncryptionError) {
    switch (error.problem) {
      case "undecryptable":
        return { problem: "keys-differ", message: "its answer cannot be decrypted with any of this member's secret keys: the gossip keys differ" };
      case "unexpected-encryption":
        return { problem: "encryption-mismatch", message: "its answer is encrypted and this member has no secret key: the gossip keys differ" };
      case "unencrypted": {
        const said = error.remoteError === undefined ? "" : ` (it answered: ${JSON.stringify(error.remoteError)})`;
        return { problem: "encryption-mismatch", message: `its answer is not encrypted and this member requires encryption${said}: the gossip keys differ` };
      }
    }
  }
  if (error instanceof RemoteError) {
    const said = `(it answered: ${JSON.stringify(error.remoteMessage)})`;
    if (/no installed keys could decrypt|cannot be decrypted/i.test(error.remoteMessage)) {
      return { problem: "keys-differ", message: `it cannot decrypt what this member sends ${said}: the gossip keys differ` };
    }
    if (/encrypted and encryption is not configured|configured but remote state is not encrypted/i.test(error.remoteMessage)) {
      return { problem: "encryption-mismatch", message: `one of the two encrypts gossip and the other does not ${said}: the gossip keys differ` };
    }
    return { problem: "remote-error", message: `it refused the exchange ${said}` };
  }
  if (error instanceof MergeRefusedError) return { problem: "merge-refused", message: error.message };
  if (error instanceof DecodeError) return { problem: "undecodable", message: `its answer cannot be used: ${error.message}` };
  return undefined;
}

/** One problem behind `SwimMembership.diagnose()`. */
export interface SwimIssue {
  /** Stable identifier, e.g. `swim-gossip-key-mismatch`; match on it, not on the message. */
  readonly code: string;
  /** `error`: something does not work (a member cannot join); `warning`: it works, worse than it should. */
  readonly severity: "warning" | "error";
  /** What is wrong and what to do about it, in a sentence or two. */
  readonly message: string;
  /** When it started (`clock.now()`). */
  readonly since: number;
}

interface IncomingTrouble {
  readonly since: number;
  readonly last: number;
  readonly count: number;
  readonly from: string;
  readonly what: string;
  readonly error: EncryptionError;
}

interface ExchangeTrouble extends SeedFailure {
  readonly since: number;
  readonly error: unknown;
}

/**
 * Keeps track of what makes gossip unreadable, so a wrong key is an error someone sees rather than a
 * member that silently never joins: counts it, logs each cause once at error level (not once per packet),
 * remembers the members whose answers could not be used until an exchange with them works again, and
 * turns all that into `lastJoinError`, `lastError()` and the issues behind `diagnose()`.
 */
export class Diagnostics {
  readonly #config: Pick<SwimNodeConfig, "clock" | "logger">;
  readonly #stats: ProtocolStats;
  readonly #logged = new Set<string>();
  readonly #exchanges = new Map<string, ExchangeTrouble>();
  #incoming: IncomingTrouble | undefined;
  #lastError: { readonly message: string; readonly at: number } | undefined;

  constructor(config: Pick<SwimNodeConfig, "clock" | "logger">, stats: ProtocolStats) {
    this.#config = config;
    this.#stats = stats;
  }

  /** A datagram or stream from `from` that could not be decrypted, or whose encryption differs from ours. */
  decryptFailed(error: EncryptionError, from: string, what: "datagram" | "stream"): void {
    this.#stats.decryptFailuresTotal++;
    const now = this.#config.clock.now();
    const recent = this.#incoming !== undefined && now - this.#incoming.last <= RECENT_DECRYPT_FAILURE_MS;
    this.#incoming = { since: recent ? this.#incoming!.since : now, last: now, count: recent ? this.#incoming!.count + 1 : 1, from, what, error };
    this.#lastError = { message: `a ${what} from ${from} cannot be read: ${error.message}; the gossip keys differ`, at: now };
    this.#logOnce(
      `in|${error.problem}|${hostOf(from)}`,
      { err: error, from },
      `swim: cannot read a ${what} from ${from}: ${error.message}; the gossip keys differ`,
    );
  }

  /** A push/pull this member started with `address` failed; returns what it says about the configuration. */
  exchangeFailed(address: string, error: unknown): SeedFailure | undefined {
    if (error instanceof EncryptionError) this.#stats.decryptFailuresTotal++;
    if (error instanceof RemoteError) this.#stats.remoteErrorsTotal++;
    const classified = classifyExchangeError(error);
    if (classified === undefined) return undefined;
    const failure: SeedFailure = { address, ...classified };
    const previous = this.#exchanges.get(address);
    const now = this.#config.clock.now();
    const since = previous?.problem === failure.problem ? previous.since : now;
    this.#lastError = { message: `push/pull with ${address} failed: ${failure.message}`, at: now };
    this.#exchanges.delete(address);
    this.#exchanges.set(address, { ...failure, since, error });
    if (this.#exchanges.size > MAX_EXCHANGE_PROBLEMS) this.#exchanges.delete(this.#exchanges.keys().next().value!);
    this.#logOnce(
      `out|${failure.problem}|${address}`,
      { err: error, address, problem: failure.problem },
      `swim: push/pull with ${address} failed: ${failure.message}`,
    );
    return failure;
  }

  /** A push/pull with `address` worked: whatever was wrong with it is over (and would be logged again). */
  exchangeSucceeded(address: string): void {
    if (!this.#exchanges.delete(address)) return;
    const host = hostOf(address);
    for (const key of this.#logged) if (key.endsWith(`|${address}`) || key.endsWith(`|${host}`)) this.#logged.delete(key);
  }

  /** The latest push/pull problem not yet resolved, as the error a join would have failed with. */
  lastJoinError(): SwimJoinError | undefined {
    let latest: ExchangeTrouble | undefined;
    for (const trouble of this.#exchanges.values()) if (latest === undefined || trouble.since >= latest.since) latest = trouble;
    return latest === undefined ? undefined : new SwimJoinError([latest], { cause: latest.error });
  }

  /** The latest gossip that could not be used (kept after exchanges work again), for core's `Diagnosable.lastError()`. */
  lastError(): { readonly message: string; readonly at: number } | undefined {
    return this.#lastError;
  }

  /** Whether keys or encryption settings differ from another member's, as far as can be seen now. */
  keyMismatch(): boolean {
    for (const trouble of this.#exchanges.values()) if (trouble.problem === "keys-differ" || trouble.problem === "encryption-mismatch") return true;
    return this.#recentIncoming() !== undefined;
  }

  /** The problems as they stand now; empty when there are none. */
  issues(): SwimIssue[] {
    const out: SwimIssue[] = [];
    const troubles = [...this.#exchanges.values()];
    const keys = troubles.filter((t) => t.problem === "keys-differ" || t.problem === "encryption-mismatch");
    const other = troubles.filter((t) => t.problem === "undecodable" || t.problem === "remote-error");
    const incoming = this.#recentIncoming();
    if (keys.length > 0) {
      const t = keys[keys.length - 1]!;
      out.push({ code: "swim-gossip-key-mismatch", severity: "error", message: summary(keys.length, `${t.address}: ${t.message}`), since: keys[0]!.since });
    } else if (incoming !== undefined) {
      const message = `${incoming.count} ${incoming.what}(s) from ${incoming.from} and others could not be read in the last minute (${incoming.error.message}): the gossip keys differ`;
      out.push({ code: "swim-gossip-key-mismatch", severity: "error", message, since: incoming.since });
    }
    if (other.length > 0) {
      const t = other[other.length - 1]!;
      out.push({ code: "swim-push-pull-failing", severity: "error", message: summary(other.length, `${t.address}: ${t.message}`), since: other[0]!.since });
    }
    return out;
  }

  #recentIncoming(): IncomingTrouble | undefined {
    const incoming = this.#incoming;
    return incoming !== undefined && this.#config.clock.now() - incoming.last <= RECENT_DECRYPT_FAILURE_MS ? incoming : undefined;
  }

  #logOnce(cause: string, fields: object, message: string): void {
    if (this.#logged.has(cause) || this.#logged.size >= MAX_LOGGED_CAUSES) {
      this.#config.logger.debug(fields, message);
      return;
    }
    this.#logged.add(cause);
    this.#config.logger.error(fields, message);
  }
}

function summary(count: number, latest: string): string {
  return count === 1 ? `push/pull with ${latest}` : `push/pulls with ${count} members fail; the latest, with ${latest}`;
}

function hostOf(address: string): string {
  return splitHostPort(address)?.host ?? address;
}
