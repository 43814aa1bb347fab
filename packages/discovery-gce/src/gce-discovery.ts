import { hostname } from "node:os";
import {
  CacheClusterError,
  type Clock,
  type DiscoveredPeer,
  type Discovery,
  type Logger,
  type StatDescription,
  type Unsubscribe,
  silentLogger,
  systemClock,
} from "@cachecluster/core";
import { classifyError } from "./classify-error.js";
import type { ComputeApi, ComputeApiFactory } from "./compute-api.js";
import { DiscoveryError } from "./errors.js";
import { buildFilter } from "./filter.js";
import { type CallContext, listZones, regionZones } from "./list-instances.js";
import type { InstanceCriteria } from "./match-instance.js";
import { type MetadataApi, gcpMetadataApi } from "./metadata-api.js";
import { type GceDiscoveryOptionsInput, type GceDiscoverySettings, parseGceDiscoveryOptions } from "./options.js";
import { type RefreshResult, explainAlone, matchAll, summarizeUnusable } from "./refresh-result.js";
import { type GceDiscoveryTarget, resolveTarget } from "./resolve-target.js";
import { backoffDelay, budgetPeriodMs, retryAfterDelay, untilAborted, withDeadline, withJitter } from "./backoff.js";
import { googleComputeApi } from "./worker-compute-api.js";

export type { GceDiscoveryTarget } from "./resolve-target.js";
import { GCE_STAT_DESCRIPTIONS } from "./stat-descriptions.js";

export interface GceDiscoveryDeps {
  /** Options (validated here, eagerly); `gceDiscovery()` merges them over the core config first. */
  readonly options?: GceDiscoveryOptionsInput;
  readonly logger?: Logger;
  /** Opens the Compute API client on the first refresh (default: `@google-cloud/compute` in a worker thread). */
  readonly computeApi?: ComputeApiFactory;
  /** Metadata server reads (default: `gcp-metadata`, imported on first use). */
  readonly metadata?: MetadataApi;
  /** Time and timers; default the system clock (a virtual one in tests). */
  readonly clock?: Clock;
  /** Uniform in [0, 1) for jitter and backoff; default Math.random. */
  readonly random?: () => number;
}

export interface GceDiscoveryStats {
  /** Successful refreshes. */
  readonly refreshes: number;
  /** Failed refreshes in total, and since the last success. */
  readonly failures: number;
  readonly consecutiveFailures: number;
  /** Compute API calls made (list pages, and `regions.get` in region mode). */
  readonly apiCalls: number;
  /** List calls the last successful refresh needed. */
  readonly callsPerRefresh: number;
  /** Delay chosen for the next refresh (ms). */
  readonly nextRefreshMs: number | undefined;
  readonly lastSuccessAt: number | undefined;
  readonly lastError: DiscoveryError | undefined;
  /** Listed instances that matched but could not be used (no name, no IP on the interface ...), over all refreshes. */
  readonly skippedInstances: number;
  /** What the last successful refresh listed and which filter removed how many. */
  readonly lastResult: RefreshResult | undefined;
}

const PREFIX = "cachecluster/discovery-gce";
/** Successful refreshes that leave this node alone before discovery says why (at warn). */
const ALONE_WARN_AFTER = 3;
/** How long the zones of a region (`regions.get`) are reused. */
const REGION_ZONES_TTL_MS = 24 * 3_600_000;

/** A log key that ignores the counts in a message, so "38 instances" after "37 instances" is no new warning. */
const shape = (text: string): string => text.replace(/\d+/g, "#");

/**
 * Finds the cluster's peers among the project's GCE instances: lists the configured zones (or a region's zones)
 * with the server-side filter `status = RUNNING` (plus labels), keeps the instances that carry every configured
 * network tag and metadata item, and reports `{ host: IP of the interface, name: instance name }` for each (this
 * instance included).
 *
 * `start()` resolves at once; the first refresh runs in the background, and the Compute client loads in a worker
 * thread. Refreshes repeat every `refreshMs` (with jitter, stretched for large fleets to stay within
 * `apiBudgetPerMinute`); a failed refresh keeps the last good list, is logged once with its cause, and is retried
 * with capped exponential backoff (or after the server's `Retry-After`).
 */
export class GceDiscovery implements Discovery {
  readonly settings: GceDiscoverySettings;
  readonly #logger: Logger;
  readonly #computeFactory: ComputeApiFactory;
  readonly #metadata: MetadataApi;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #criteria: InstanceCriteria;
  readonly #filter: string;
  readonly #listeners = new Set<(peers: readonly DiscoveredPeer[]) => void>();
  #peers: readonly DiscoveredPeer[] = [];
  #target: GceDiscoveryTarget | undefined;
  #regionZonesAt = 0;
  #api: Promise<ComputeApi> | undefined;
  /** `#api` once it opened. */
  #openedApi: ComputeApi | undefined;
  #running = false;
  #generation = 0;
  /** Releases what the Compute API factory keeps warm while this discovery runs. */
  #releaseFactory: (() => void) | undefined;
  /** Aborted by stop(): cancels the calls of the refresh under way. */
  #lifetime = new AbortController();
  #timer: unknown;
  #inflight: Promise<void> | undefined;
  #lastFailureKey: string | undefined;
  #lastUnusableKey: string | undefined;
  #aloneStreak = 0;
  #lastAloneKey: string | undefined;
  #explanation: string | undefined;
  #selfWarned = false;
  #lastErrorAt = 0;
  #stats: {
    refreshes: number;
    failures: number;
    consecutiveFailures: number;
    apiCalls: number;
    callsPerRefresh: number;
    nextRefreshMs: number | undefined;
    lastSuccessAt: number | undefined;
    lastError: DiscoveryError | undefined;
    skippedInstances: number;
    lastResult: RefreshResult | undefined;
  } = {
    refreshes: 0,
    failures: 0,
    consecutiveFailures: 0,
    apiCalls: 0,
    callsPerRefresh: 1,
    nextRefreshMs: undefined,
    lastSuccessAt: undefined,
    lastError: undefined,
    skippedInstances: 0,
    lastResult: undefined,
  };

  constructor(deps: GceDiscoveryDeps = {}) {
    this.settings = parseGceDiscoveryOptions(deps.options ?? {});
    this.#logger = deps.logger ?? silentLogger;
    this.#computeFactory = deps.computeApi ?? googleComputeApi;
    this.#metadata = deps.metadata ?? gcpMetadataApi;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? Math.random;
    this.#filter = buildFilter(this.settings.labels);
    this.#criteria = {
      tags: this.settings.tags,
      labels: this.settings.labels,
      metadata: this.settings.metadata,
      networkInterface: this.settings.networkInterface,
      region: this.settings.region,
    };
  }

  /** The server-side filter sent with every list call. */
  get filter(): string {
    return this.#filter;
  }

  /** Project and zones (or region and its zones) once resolved; undefined before the first successful resolution. */
  get target(): GceDiscoveryTarget | undefined {
    return this.#target;
  }

  peers(): readonly DiscoveredPeer[] {
    return this.#peers;
  }

  onPeers(listener: (peers: readonly DiscoveredPeer[]) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  stats(): GceDiscoveryStats {
    return { ...this.#stats };
  }

  /** The latest failed refresh, also after recovery (core's `Diagnosable`, for the status page). */
  lastError(): { message: string; at: number } | undefined {
    const error = this.#stats.lastError;
    return error === undefined ? undefined : { message: error.message, at: this.#lastErrorAt };
  }

  /** The type, unit and help text of each numeric `stats()` key, for the cluster's Prometheus metrics. */
  describeStats(): Readonly<Record<string, StatDescription>> {
    return GCE_STAT_DESCRIPTIONS;
  }

  /**
   * Why this node has no peer from discovery, in one line, or undefined when it has some: the last refresh's
   * explanation (`listed 37 RUNNING instances in us-central1-b; 0 matched: tags [cache] removed 30, metadata
   * service=web removed 7`, or `...; the only match is this instance itself (cache-1)`), or the failure that keeps
   * it from listing (`stats().lastError`), or that no refresh has finished yet.
   */
  explain(): string | undefined {
    if (this.#peers.some((p) => p.name !== this.#selfName())) return undefined;
    if (this.#stats.consecutiveFailures > 0 && this.#stats.lastError !== undefined) {
      return `discovery is failing (${this.#stats.consecutiveFailures} attempt(s)): ${this.#stats.lastError.message}`;
    }
    return this.#explanation ?? (this.#stats.refreshes === 0 ? "discovery has not finished its first refresh yet" : undefined);
  }

  /** Core's `Diagnosable`: `explain()`, which the cluster logs when the node stays alone and the status page shows. */
  diagnose(): string | undefined {
    return this.explain();
  }

  /** Starts refreshing in the background and resolves at once. Peers arrive through `onPeers`. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#generation += 1;
    this.#lifetime = new AbortController();
    this.#releaseFactory = this.#computeFactory.hold?.();
    this.#schedule(0, this.#generation);
  }

  /**
   * Stops refreshing, cancels the calls under way (their connections close) and releases the API client.
   * Safe to call twice, or before `start()`.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#generation += 1;
    this.#lifetime.abort(new CacheClusterError("CACHECLUSTER_STOPPED", "GceDiscovery stopped"));
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const inflight = this.#inflight;
    this.#inflight = undefined;
    await inflight?.catch(() => {}); // settles at once: the refresh races the aborted signal
    this.#releaseFactory?.(); // an open client keeps the worker on its own until it is closed
    this.#releaseFactory = undefined;
    const api = this.#api;
    const opened = this.#openedApi;
    this.#api = undefined;
    this.#openedApi = undefined;
    if (api === undefined) return;
    // A client still opening (the worker loading the module) is closed once it is open; stop() does not wait for it.
    const close = api.then((a) => a.close()).catch((error: unknown) => this.#logger.debug({ err: error }, `${PREFIX}: closing the Compute API client failed`));
    if (opened !== undefined) await close;
  }

  /** Refreshes now (or joins the refresh under way), then goes on with the regular schedule. */
  async refresh(): Promise<void> {
    if (!this.#running) throw new CacheClusterError("CACHECLUSTER_NOT_STARTED", "GceDiscovery.refresh() called before start() (or after stop())");
    if (this.#inflight !== undefined) return this.#inflight;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#startTick(this.#generation);
  }

  /** Resolves when no refresh is under way (tests on a virtual clock). */
  async whenIdle(): Promise<void> {
    while (this.#inflight !== undefined) await this.#inflight;
  }

  #schedule(delayMs: number, generation: number): void {
    this.#stats.nextRefreshMs = delayMs;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (generation !== this.#generation) return;
      void this.#startTick(generation);
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
    const signal = this.#lifetime.signal;
    let delay: number;
    try {
      const peers = await untilAborted(this.#refreshOnce(signal), signal);
      if (generation !== this.#generation) return;
      delay = this.#onSuccess(peers);
    } catch (error) {
      if (generation !== this.#generation) return;
      delay = this.#onFailure(classifyError("GCE discovery refresh", error));
    }
    if (this.#running && generation === this.#generation) this.#schedule(delay, generation);
  }

  /** The regular period: `refreshMs`, stretched to the fleet's API budget, with jitter. */
  #regularDelay(): number {
    const base = Math.max(this.settings.refreshMs, budgetPeriodMs(this.#peers.length, this.#stats.callsPerRefresh, this.settings.apiBudgetPerMinute));
    return withJitter(base, this.settings.jitter, this.#random());
  }

  #onSuccess(peers: readonly DiscoveredPeer[]): number {
    const s = this.#stats;
    if (s.consecutiveFailures > 0) {
      this.#logger.info(
        { failures: s.consecutiveFailures, peers: peers.length },
        `${PREFIX}: refresh recovered after ${s.consecutiveFailures} failed attempt(s)`,
      );
    }
    s.refreshes += 1;
    s.consecutiveFailures = 0;
    s.lastSuccessAt = this.#clock.now();
    this.#lastFailureKey = undefined;
    this.#peers = peers;
    this.#checkSelf(peers);
    this.#checkAlone(peers);
    this.#logger.debug({ peers: peers.map((p) => `${p.name ?? "?"}=${p.host}`) }, `${PREFIX}: ${peers.length} peer(s)`);
    for (const listener of [...this.#listeners]) {
      try {
        listener(peers);
      } catch (error) {
        this.#logger.warn({ err: error }, `${PREFIX}: a peers listener threw`);
      }
    }
    return this.#regularDelay();
  }

  #onFailure(error: DiscoveryError): number {
    const s = this.#stats;
    s.failures += 1;
    s.consecutiveFailures += 1;
    s.lastError = error;
    this.#lastErrorAt = this.#clock.now();
    const random = this.#random();
    let delay = backoffDelay(s.consecutiveFailures, this.settings.backoffBaseMs, this.settings.backoffCapMs, random);
    // The quota refills per minute: retrying sooner than a regular refresh only burns more of it.
    if (error.isQuota) delay = Math.max(delay, this.#regularDelay());
    // The server said when to come back: not sooner (capped at backoffCapMs, spread by the jitter above it).
    if (error.retryAfterMs !== undefined)
      delay = Math.max(delay, retryAfterDelay(error.retryAfterMs, this.settings.backoffCapMs, this.settings.jitter, random));
    const key = `${error.kind}|${error.status ?? ""}|${error.message}`;
    const fields = {
      err: error,
      kind: error.kind,
      status: error.status,
      retryAfterMs: error.retryAfterMs,
      attempt: s.consecutiveFailures,
      retryInMs: delay,
      keptPeers: this.#peers.length,
    };
    const text = `${PREFIX}: ${error.message}; keeping the last ${this.#peers.length} peer(s), retrying in ${delay} ms`;
    // Logged once (warn) per distinct failure; repeats of the same failure go to debug.
    if (key !== this.#lastFailureKey) this.#logger.warn(fields, text);
    else this.#logger.debug(fields, text);
    this.#lastFailureKey = key;
    return delay;
  }

  /** This instance's name: from the metadata server when it was asked, else the host name (GCE names hosts so). */
  #selfName(): string {
    return this.#target?.self?.name ?? hostname().split(".")[0] ?? "";
  }

  #checkSelf(peers: readonly DiscoveredPeer[]): void {
    const self = this.#target?.self;
    if (self === undefined || this.#selfWarned) return;
    if (!peers.some((p) => p.name === self.name)) {
      this.#selfWarned = true;
      this.#logger.warn(
        { self, filter: this.#filter, tags: this.settings.tags, metadata: this.settings.metadata },
        `${PREFIX}: this instance (${self.name}, ${self.host}) does not match the discovery criteria; other nodes will not find it`,
      );
    }
  }

  /** After a few refreshes that leave this node alone, says why at warn: once per distinct explanation. */
  #checkAlone(peers: readonly DiscoveredPeer[]): void {
    const result = this.#stats.lastResult;
    const target = this.#target;
    this.#explanation =
      result === undefined || target === undefined
        ? undefined
        : explainAlone(result, peers, { zones: target.zones ?? [], region: target.region, criteria: this.#criteria, selfName: this.#selfName() });
    if (this.#explanation === undefined) {
      this.#aloneStreak = 0;
      return;
    }
    this.#aloneStreak += 1;
    const key = shape(this.#explanation);
    if (this.#aloneStreak < ALONE_WARN_AFTER || key === this.#lastAloneKey) return;
    this.#lastAloneKey = key;
    this.#logger.warn(
      { refreshes: this.#aloneStreak, result, filter: this.#filter },
      `${PREFIX}: no other node found in ${this.#aloneStreak} refreshes: ${this.#explanation}`,
    );
  }

  async #readMetadata(kind: "project" | "instance", path: string): Promise<unknown> {
    const call = kind === "project" ? this.#metadata.project(path) : this.#metadata.instance(path);
    try {
      return await withDeadline(
        call,
        this.settings.requestTimeoutMs,
        () => new DiscoveryError("timeout", `no answer within ${this.settings.requestTimeoutMs} ms`),
      );
    } catch (error) {
      const cause = classifyError(`metadata server ${kind}/${path}`, error);
      throw new DiscoveryError("metadata", `${cause.message} (is this a GCE instance? Otherwise set [match] project and zone)`, {
        cause: error,
        status: cause.status,
      });
    }
  }

  async #resolveTarget(): Promise<GceDiscoveryTarget> {
    if (this.#target !== undefined) return this.#target;
    const target = await resolveTarget(this.settings, (kind, path) => this.#readMetadata(kind, path));
    this.#target = target;
    this.#logger.info(
      { project: target.project, zones: target.zones, region: target.region, self: target.self, filter: this.#filter },
      `${PREFIX}: listing ${target.region === undefined ? `zone(s) ${(target.zones ?? []).join(", ")}` : `region ${target.region}`} of project ${target.project}`,
    );
    return target;
  }

  #computeApi(project: string): Promise<ComputeApi> {
    if (this.#api !== undefined) return this.#api;
    const opening: Promise<ComputeApi> = this.#computeFactory(this.settings, project, this.#logger).then(
      (api) => {
        if (this.#api === opening) this.#openedApi = api;
        return api;
      },
      (error: unknown) => {
        // A client that could not open (no credentials) is not reused: the next attempt opens a new one.
        if (this.#api === opening) this.#api = undefined;
        throw classifyError("opening the Compute API client (@google-cloud/compute)", error);
      },
    );
    this.#api = opening;
    return opening;
  }

  /** The zones to list: the configured ones, or the region's (`regions.get`, reused for a day). */
  async #zones(target: GceDiscoveryTarget, ctx: CallContext): Promise<readonly string[]> {
    if (target.region === undefined) return target.zones ?? [];
    const now = this.#clock.now();
    if (target.zones !== undefined && now - this.#regionZonesAt < REGION_ZONES_TTL_MS) return target.zones;
    const zones = await regionZones(ctx, target.project, target.region);
    this.#target = { ...target, zones };
    this.#regionZonesAt = now;
    return zones;
  }

  async #refreshOnce(signal: AbortSignal): Promise<readonly DiscoveredPeer[]> {
    const target = await this.#resolveTarget();
    // stop() may have come while the metadata server answered: open no client for a stopped discovery.
    signal.throwIfAborted();
    const api = await untilAborted(this.#computeApi(target.project), signal);
    const ctx: CallContext = { api, timeoutMs: this.settings.requestTimeoutMs, signal, counted: () => (this.#stats.apiCalls += 1) };
    const zones = await this.#zones(target, ctx);
    const { raw, calls } = await listZones(ctx, target.project, zones, this.#filter, this.settings.maxResults);
    this.#stats.callsPerRefresh = calls;
    const { peers, result } = matchAll(raw, this.#criteria);
    this.#stats.lastResult = result;
    this.#stats.skippedInstances += result.unusable;
    this.#logUnusable(result);
    const port = this.settings.clusterPort;
    return port === undefined ? peers : peers.map((peer) => ({ ...peer, clusterPort: port }));
  }

  /** One line per refresh for the instances that match but cannot be used; at warn when it says something new. */
  #logUnusable(result: RefreshResult): void {
    const summary = summarizeUnusable(result);
    if (summary === undefined) {
      this.#lastUnusableKey = undefined;
      return;
    }
    const key = shape(summary);
    const fields = { unusable: result.unusable, problems: result.problems };
    if (key !== this.#lastUnusableKey) this.#logger.warn(fields, `${PREFIX}: ${summary}`);
    else this.#logger.debug(fields, `${PREFIX}: ${summary}`);
    this.#lastUnusableKey = key;
  }
}
