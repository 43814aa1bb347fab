import { Resolver, getServers } from "node:dns/promises";
import {
  CacheClusterError,
  type Clock,
  type Diagnosable,
  type DiscoveredPeer,
  type Discovery,
  type Logger,
  type Observable,
  type StatDescription,
  type Unsubscribe,
  silentLogger,
  systemClock,
} from "@cachecluster/core";
import { type DnsDiscoveryError, classifyDnsError } from "./errors.js";
import { type LookupResult, lookupPeers } from "./lookup.js";
import { type DnsDiscoveryOptionsInput, type DnsDiscoverySettings, parseDnsDiscoveryOptions } from "./options.js";
import { backoffDelay, regularDelay, withJitter } from "./refresh-timing.js";
import { DNS_STAT_DESCRIPTIONS } from "./stat-descriptions.js";

export interface DnsDiscoveryDeps {
  /** Where failures, skipped records and recoveries are logged; default silent. */
  readonly logger?: Logger;
  /** Time and timers; default the system clock. */
  readonly clock?: Clock;
  /** Uniform in [0, 1) for jitter and backoff; default Math.random. */
  readonly random?: () => number;
}

/** Counters and gauges of a {@link DnsDiscovery} (exported as metrics `cachecluster_discovery_*`, see `describeStats()`). */
export type DnsDiscoveryStats = {
  /** Successful lookups. */
  readonly refreshesTotal: number;
  /** Failed lookups in total, and since the last success. */
  readonly failuresTotal: number;
  readonly consecutiveFailures: number;
  /** DNS questions asked (an SRV lookup asks one per target, and AAAA after a target without A). */
  readonly queriesTotal: number;
  /** Records that made no peer (port 0, target without address, unusable address). */
  readonly skippedRecordsTotal: number;
  /** Peers in the last good list. */
  readonly peers: number;
  /** Delay chosen for the next lookup (ms). */
  readonly nextRefreshMs: number;
};

const PREFIX = "cachecluster/discovery-dns";
const MAX_LOGGED_PROBLEMS = 1_000;

function sameList(a: readonly DiscoveredPeer[], b: readonly DiscoveredPeer[]): boolean {
  return a.length === b.length && a.every((p, i) => JSON.stringify(p) === JSON.stringify(b[i]));
}

/**
 * Finds the cluster's peers in DNS: the A or AAAA records of a name (a Kubernetes headless service), or its SRV
 * records and their targets' addresses (Consul, Kubernetes named ports), and reports `{ host: address }` for each
 * (with the SRV target as `name`, and the SRV port, or `port`, as the peer's membership or cache port).
 *
 * `start()` resolves at once; the first lookup runs in the background. Lookups repeat every `refreshMs`, sooner
 * when the records' TTL is shorter (not below `minRefreshMs`), with jitter. A failed lookup keeps the last good
 * list, is logged once per distinct failure, and is retried with capped exponential backoff.
 */
export class DnsDiscovery implements Discovery, Observable, Diagnosable {
  /** The options in effect, validated, with their defaults. */
  readonly settings: DnsDiscoverySettings;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #resolver: Resolver;
  readonly #servers: string;
  readonly #listeners = new Set<(peers: readonly DiscoveredPeer[]) => void>();
  readonly #loggedProblems = new Set<string>();
  #peers: readonly DiscoveredPeer[] = [];
  #running = false;
  #generation = 0;
  #timer: unknown;
  #inflight: Promise<void> | undefined;
  #lastFailureKey: string | undefined;
  #lastAnnouncedAt = -Infinity;
  #currentError: DnsDiscoveryError | undefined;
  #lastError: { readonly message: string; readonly at: number; readonly error: DnsDiscoveryError } | undefined;
  #lastSuccessAt: number | undefined;
  #stats = { refreshesTotal: 0, failuresTotal: 0, consecutiveFailures: 0, queriesTotal: 0, skippedRecordsTotal: 0, nextRefreshMs: 0 };

  /** `options` are validated now; a `ConfigError` names each bad one. */
  constructor(options: DnsDiscoveryOptionsInput, deps: DnsDiscoveryDeps = {}) {
    this.settings = parseDnsDiscoveryOptions(options);
    this.#logger = deps.logger ?? silentLogger;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? Math.random;
    // Several short tries, so a silent first server leaves time for the next one; the deadline cancels the rest.
    this.#resolver = new Resolver({ timeout: Math.max(10, Math.floor(this.settings.timeoutMs / 4)), tries: 3 });
    if (this.settings.servers.length > 0) this.#resolver.setServers(this.settings.servers);
    this.#servers = this.settings.servers.length > 0 ? this.settings.servers.join(", ") : `the system's DNS servers (${getServers().join(", ") || "none"})`;
  }

  /** The last good result; empty until the first one. */
  peers(): readonly DiscoveredPeer[] {
    return this.#peers;
  }

  /**
   * Called with the first result, with every result that differs from the previous one, and with an unchanged
   * result at most once per `refreshMs` (so a membership re-contacts its seeds, without doing it on every
   * TTL-driven lookup).
   */
  onPeers(listener: (peers: readonly DiscoveredPeer[]) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Counters and gauges, cheap to read (the cluster exports them as metrics). */
  stats(): DnsDiscoveryStats {
    return { ...this.#stats, peers: this.#peers.length };
  }

  /** The type, unit and help text of each `stats()` key, for the cluster's Prometheus metrics. */
  describeStats(): Readonly<Record<string, StatDescription>> {
    return DNS_STAT_DESCRIPTIONS;
  }

  /** Why the last lookup failed, if it did; undefined after a good one. */
  get currentError(): DnsDiscoveryError | undefined {
    return this.#currentError;
  }

  /** Core's `Diagnosable`: the latest failure, kept after recovery, with its clock time (for the status page). */
  lastError(): { readonly message: string; readonly at: number; readonly error: DnsDiscoveryError } | undefined {
    return this.#lastError;
  }

  /**
   * Core's `Diagnosable`: why DNS keeps this node from finding peers, in one line, or undefined when lookups
   * succeed (then the cluster, which knows this node's own address, explains from the list DNS gave): lookups
   * failing now (`lookup of SRV _cache._tcp.web.service.consul at 10.0.0.2 failing (3 attempt(s)): ...`), or the
   * first lookup not finished yet.
   */
  diagnose(): string | undefined {
    const { type, name } = this.settings;
    const error = this.#currentError;
    if (error !== undefined) {
      const kept = this.#peers.length > 0 ? `; keeping the last ${this.#peers.length} peer(s)` : "";
      return `lookup of ${type} ${name} at ${this.#servers} failing (${this.#stats.consecutiveFailures} attempt(s)): ${error.message}${kept}`;
    }
    if (this.#running && this.#stats.refreshesTotal === 0) return `the first lookup of ${type} ${name} at ${this.#servers} has not finished yet`;
    return undefined;
  }

  /** Clock time of the last good lookup. */
  get lastSuccessAt(): number | undefined {
    return this.#lastSuccessAt;
  }

  /** Starts looking up in the background; resolves at once. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#generation += 1;
    this.#logger.info(
      { name: this.settings.name, type: this.settings.type, servers: this.#servers },
      `${PREFIX}: looking up ${this.settings.type} ${this.settings.name} at ${this.#servers}`,
    );
    this.#schedule(0, this.#generation);
  }

  /** Stops; a lookup under way is cancelled. Safe to call twice, or before `start()`. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#generation += 1;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const inflight = this.#inflight;
    if (inflight !== undefined) {
      this.#resolver.cancel();
      await inflight;
    }
  }

  /** Looks up now (or joins the lookup under way), then goes on with the regular schedule. */
  async refresh(): Promise<void> {
    if (!this.#running) throw new CacheClusterError("CACHECLUSTER_NOT_STARTED", "DnsDiscovery.refresh() called before start() (or after stop())");
    if (this.#inflight !== undefined) return this.#inflight;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#startTick(this.#generation);
  }

  #schedule(delayMs: number, generation: number): void {
    this.#stats.nextRefreshMs = delayMs;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (generation === this.#generation) void this.#startTick(generation);
    }, delayMs);
  }

  #startTick(generation: number): Promise<void> {
    const tick: Promise<void> = this.#tick(generation).finally(() => {
      if (this.#inflight === tick) this.#inflight = undefined;
    });
    this.#inflight = tick;
    return tick;
  }

  async #tick(generation: number): Promise<void> {
    let delay: number;
    try {
      const result = await this.#lookup();
      if (generation !== this.#generation) return;
      delay = this.#onSuccess(result);
    } catch (error) {
      if (generation !== this.#generation) return;
      delay = this.#onFailure(classifyDnsError(`${this.settings.type} ${this.settings.name}`, error, this.#servers, this.settings.timeoutMs));
    }
    if (this.#running && generation === this.#generation) this.#schedule(delay, generation);
  }

  /** One lookup, cancelled at the deadline. */
  async #lookup(): Promise<LookupResult> {
    const s = this.settings;
    const deadline = this.#clock.setTimeout(() => this.#resolver.cancel(), s.timeoutMs);
    try {
      return await lookupPeers(
        this.#resolver,
        { name: s.name, type: s.type, port: s.port, portKind: s.portKind },
        { servers: this.#servers, timeoutMs: s.timeoutMs, onQuery: () => (this.#stats.queriesTotal += 1) },
      );
    } finally {
      this.#clock.clearTimeout(deadline);
    }
  }

  #onSuccess(result: LookupResult): number {
    const s = this.#stats;
    if (s.consecutiveFailures > 0) {
      this.#logger.info(
        { failures: s.consecutiveFailures, peers: result.peers.length },
        `${PREFIX}: lookup recovered after ${s.consecutiveFailures} failure(s)`,
      );
    }
    s.refreshesTotal += 1;
    s.consecutiveFailures = 0;
    this.#currentError = undefined;
    this.#lastFailureKey = undefined;
    this.#lastSuccessAt = this.#clock.now();
    this.#noteSkipped(result.skipped);
    const changed = this.#stats.refreshesTotal === 1 || !sameList(this.#peers, result.peers);
    this.#peers = result.peers;
    const now = this.#clock.now();
    if (changed || now - this.#lastAnnouncedAt >= this.settings.refreshMs) {
      this.#lastAnnouncedAt = now;
      if (changed) this.#logger.debug({ peers: result.peers.map((p) => p.host), ttl: result.ttl }, `${PREFIX}: ${result.peers.length} peer(s)`);
      for (const listener of [...this.#listeners]) {
        try {
          listener(result.peers);
        } catch (error) {
          this.#logger.warn({ err: error }, `${PREFIX}: a peers listener threw`);
        }
      }
    }
    return withJitter(regularDelay(result.ttl, this.settings.refreshMs, this.settings.minRefreshMs), this.settings.jitter, this.#random());
  }

  #noteSkipped(skipped: readonly string[]): void {
    this.#stats.skippedRecordsTotal += skipped.length;
    for (const problem of skipped) {
      if (this.#loggedProblems.has(problem) || this.#loggedProblems.size >= MAX_LOGGED_PROBLEMS) continue;
      this.#loggedProblems.add(problem);
      this.#logger.warn({ problem }, `${PREFIX}: skipping a record: ${problem}`);
    }
  }

  #onFailure(error: DnsDiscoveryError): number {
    const s = this.#stats;
    s.failuresTotal += 1;
    s.consecutiveFailures += 1;
    this.#currentError = error;
    this.#lastError = { message: error.message, at: this.#clock.now(), error };
    const delay = backoffDelay(s.consecutiveFailures, this.settings.backoffBaseMs, this.settings.backoffCapMs, this.#random());
    const fields = { err: error, kind: error.kind, dnsCode: error.dnsCode, attempt: s.consecutiveFailures, retryInMs: delay, keptPeers: this.#peers.length };
    const text = `${PREFIX}: ${error.message}; keeping the last ${this.#peers.length} peer(s), retrying in ${delay} ms`;
    // Logged once (warn) per distinct failure; repeats of the same failure go to debug.
    const key = `${error.kind}|${error.message}`;
    if (key !== this.#lastFailureKey) this.#logger.warn(fields, text);
    else this.#logger.debug(fields, text);
    this.#lastFailureKey = key;
    return delay;
  }
}
