import { isIP } from "node:net";
import {
  CacheClusterError,
  type Clock,
  type DiscoveredPeer,
  type Discovery,
  type Logger,
  type Unsubscribe,
  silentLogger,
  systemClock,
} from "@cachecluster/core";
import { classifyError } from "./classify-error.js";
import { type ComputeApi, type ComputeApiFactory, googleComputeApi, loadGoogleCompute } from "./compute-api.js";
import { DiscoveryError } from "./errors.js";
import { buildFilter } from "./filter.js";
import { type InstanceCriteria, matchInstance } from "./match-instance.js";
import { type MetadataApi, gcpMetadataApi } from "./metadata-api.js";
import { type GceDiscoveryOptionsInput, type GceDiscoverySettings, parseGceDiscoveryOptions } from "./options.js";
import { backoffDelay, budgetPeriodMs, withDeadline, withJitter } from "./backoff.js";

export interface GceDiscoveryDeps {
  /** Options (validated here, eagerly); `gceDiscovery()` merges them over the core config first. */
  readonly options?: GceDiscoveryOptionsInput;
  readonly logger?: Logger;
  /** Builds the Compute API client on the first refresh (default: `@google-cloud/compute`, imported then). */
  readonly computeApi?: ComputeApiFactory;
  /** Metadata server reads (default: `gcp-metadata`, imported on first use). */
  readonly metadata?: MetadataApi;
  /** Time and timers; default the system clock (a virtual one in tests). */
  readonly clock?: Clock;
  /** Uniform in [0, 1) for jitter and backoff; default Math.random. */
  readonly random?: () => number;
}

/** Where discovery looks, once resolved from options and the metadata server. */
export interface GceDiscoveryTarget {
  readonly project: string;
  /** Zones listed one by one; absent with a region. */
  readonly zones?: readonly string[];
  readonly region?: string;
  /** This instance, when the metadata server was asked (project or zone not configured). */
  readonly self?: { readonly name: string; readonly host: string };
}

export interface GceDiscoveryStats {
  /** Successful refreshes. */
  readonly refreshes: number;
  /** Failed refreshes in total, and since the last success. */
  readonly failures: number;
  readonly consecutiveFailures: number;
  /** Compute API list calls made (pages); aggregated-list pages are counted from the instances returned. */
  readonly apiCalls: number;
  /** Calls the last successful refresh needed. */
  readonly callsPerRefresh: number;
  /** Delay chosen for the next refresh (ms). */
  readonly nextRefreshMs: number | undefined;
  readonly lastSuccessAt: number | undefined;
  readonly lastError: DiscoveryError | undefined;
  /** Listed instances that matched but could not be used (no name, no IP on the interface ...). */
  readonly skippedInstances: number;
}

const MAX_PAGES = 1_000;
const MAX_LOGGED_PROBLEMS = 1_000;
const PREFIX = "cachecluster/discovery-gce";

/**
 * Finds the cluster's peers among the project's GCE instances: lists the configured zones (or a region) with the
 * server-side filter `status = RUNNING` (plus labels), keeps the instances that carry every configured network tag
 * and metadata item, and reports `{ host: IP of the interface, name: instance name }` for each (this instance
 * included).
 *
 * `start()` resolves at once; the first refresh runs in the background. Refreshes repeat every `refreshMs`
 * (with jitter, stretched for large fleets to stay within `apiBudgetPerMinute`); a failed refresh keeps the last
 * good list, is logged once with its cause, and is retried with capped exponential backoff.
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
  readonly #loggedProblems = new Set<string>();
  #peers: readonly DiscoveredPeer[] = [];
  #target: GceDiscoveryTarget | undefined;
  #api: Promise<ComputeApi> | undefined;
  #running = false;
  #generation = 0;
  #timer: unknown;
  #inflight: Promise<void> | undefined;
  #lastFailureKey: string | undefined;
  #selfWarned = false;
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

  /** Project and zones (or region) once resolved; undefined before the first successful resolution. */
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

  /**
   * Starts refreshing in the background. Resolves once the Compute client's module is loaded (CPU only, no
   * network: about a second cold), so its evaluation does not stall a node that is already gossiping.
   * Peers arrive later through `onPeers`; until then the cluster serves in local mode.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    if (this.#computeFactory === googleComputeApi) await loadGoogleCompute().catch(() => {}); // a failure shows on the first refresh
    if (this.#running) return;
    this.#running = true;
    this.#generation += 1;
    this.#schedule(0, this.#generation);
  }

  /** Stops refreshing and releases the API client. Safe to call twice, or before `start()`. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#generation += 1;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const inflight = this.#inflight;
    this.#inflight = undefined;
    // Its result is dropped (the generation moved on); wait a little so its sockets settle before the client closes.
    if (inflight !== undefined)
      await withDeadline(inflight, Math.min(1_000, this.settings.requestTimeoutMs), () => new Error("in-flight refresh")).catch(() => {});
    const api = this.#api;
    this.#api = undefined;
    if (api !== undefined) {
      try {
        await (await api).close();
      } catch (error) {
        this.#logger.debug({ err: error }, `${PREFIX}: closing the Compute API client failed`);
      }
    }
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
    let delay: number;
    try {
      const peers = await this.#refreshOnce();
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
    let delay = backoffDelay(s.consecutiveFailures, this.settings.backoffBaseMs, this.settings.backoffCapMs, this.#random());
    // The quota refills per minute: retrying sooner than a regular refresh only burns more of it.
    if (error.isQuota) delay = Math.max(delay, this.#regularDelay());
    const key = `${error.kind}|${error.status ?? ""}|${error.message}`;
    const fields = {
      err: error,
      kind: error.kind,
      status: error.status,
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
    const s = this.settings;
    const needProject = s.project === undefined;
    const needZone = s.zones === undefined && s.region === undefined;
    let target: GceDiscoveryTarget;
    if (!needProject && !needZone) {
      target = { project: s.project ?? "", ...(s.region === undefined ? { zones: s.zones ?? [] } : { region: s.region }) };
    } else {
      const nic = s.networkInterface === undefined ? 0 : Number(s.networkInterface.slice(3));
      const [project, zone, name, ip] = await Promise.all([
        needProject ? this.#readMetadata("project", "project-id") : Promise.resolve(s.project),
        needZone ? this.#readMetadata("instance", "zone") : Promise.resolve(undefined),
        this.#readMetadata("instance", "name"),
        this.#readMetadata("instance", `network-interfaces/${nic}/ip`),
      ]);
      const projectId = typeof project === "number" || typeof project === "string" ? String(project).trim() : "";
      if (!/^(?:[a-z][-a-z0-9.]*:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(projectId)) {
        throw badMetadata("project/project-id", project, "a project ID such as my-project-123");
      }
      let zones = s.zones;
      if (needZone) {
        const m = typeof zone === "string" ? /^projects\/[^/]+\/zones\/([a-z]+-[a-z]+\d+-[a-z])$/.exec(zone.trim()) : null;
        if (m?.[1] === undefined) throw badMetadata("instance/zone", zone, "projects/<number>/zones/<zone> such as projects/123/zones/us-central1-b");
        zones = [m[1]];
      }
      if (typeof name !== "string" || name.trim() === "") throw badMetadata("instance/name", name, "an instance name");
      if (typeof ip !== "string" || isIP(ip.trim()) === 0) throw badMetadata(`instance/network-interfaces/${nic}/ip`, ip, "an IP address");
      target = {
        project: projectId,
        ...(s.region === undefined ? { zones: zones ?? [] } : { region: s.region }),
        self: { name: name.trim(), host: ip.trim() },
      };
    }
    this.#target = target;
    this.#logger.info(
      { project: target.project, zones: target.zones, region: target.region, self: target.self, filter: this.#filter },
      `${PREFIX}: listing ${target.region === undefined ? `zone(s) ${(target.zones ?? []).join(", ")}` : `region ${target.region}`} of project ${target.project}`,
    );
    return target;
  }

  #computeApi(project: string): Promise<ComputeApi> {
    this.#api ??= this.#computeFactory(this.settings, project).catch((error: unknown) => {
      this.#api = undefined;
      throw new DiscoveryError("unknown", `loading the Compute API client (@google-cloud/compute) failed: ${String(error)}`, { cause: error });
    });
    return this.#api;
  }

  async #refreshOnce(): Promise<readonly DiscoveredPeer[]> {
    const target = await this.#resolveTarget();
    const api = await this.#computeApi(target.project);
    const timeout = this.settings.requestTimeoutMs;
    // The clients get the deadline too; this guard also covers token fetches and a client that ignores it.
    const guard = <T>(p: Promise<T>, call: string): Promise<T> =>
      withDeadline(p, timeout, () => new DiscoveryError("timeout", `${call} failed: no answer within the request timeout of ${timeout} ms`));
    const raw: unknown[] = [];
    let calls = 0;
    if (target.region !== undefined) {
      const call = `instances.aggregatedList(projects/${target.project})`;
      const iterator = api
        .aggregatedList({ project: target.project, filter: this.#filter, maxResults: this.settings.maxResults }, timeout)
        [Symbol.asyncIterator]();
      let yielded = 0;
      try {
        for (let entries = 0; entries < MAX_PAGES * 100; entries++) {
          const next = await guard(iterator.next(), call);
          if (next.done === true) break;
          const [scope, instances] = next.value;
          const list = asList(instances, call);
          yielded += list.length;
          if (scope.startsWith(`zones/${target.region}-`)) raw.push(...list);
        }
      } catch (error) {
        this.#stats.apiCalls += 1;
        throw classifyError(call, error);
      }
      calls = Math.max(1, Math.ceil(yielded / this.settings.maxResults));
      this.#stats.apiCalls += calls;
    } else {
      const perZone = await Promise.all(
        (target.zones ?? []).map(async (zone) => {
          const call = `instances.list(projects/${target.project}/zones/${zone})`;
          const found: unknown[] = [];
          let pageToken: string | undefined;
          let zoneCalls = 0;
          do {
            zoneCalls += 1;
            this.#stats.apiCalls += 1;
            let page;
            try {
              page = await guard(
                api.list(
                  {
                    project: target.project,
                    zone,
                    filter: this.#filter,
                    maxResults: this.settings.maxResults,
                    ...(pageToken === undefined ? {} : { pageToken }),
                  },
                  timeout,
                ),
                call,
              );
            } catch (error) {
              throw classifyError(call, error);
            }
            found.push(...asList(page.items, call));
            if (page.nextPageToken !== undefined && page.nextPageToken === pageToken) {
              throw new DiscoveryError("malformed", `${call} answered the same nextPageToken twice`);
            }
            pageToken = page.nextPageToken;
          } while (pageToken !== undefined && zoneCalls < MAX_PAGES);
          return { found, zoneCalls };
        }),
      );
      for (const { found, zoneCalls } of perZone) {
        raw.push(...found);
        calls += zoneCalls;
      }
    }
    this.#stats.callsPerRefresh = calls;
    return this.#toPeers(raw);
  }

  #toPeers(raw: readonly unknown[]): DiscoveredPeer[] {
    const byHost = new Map<string, DiscoveredPeer>();
    for (const instance of raw) {
      const result = matchInstance(instance, this.#criteria);
      if (result.ok) {
        if (!byHost.has(result.peer.host)) byHost.set(result.peer.host, result.peer);
      } else if ("problem" in result) {
        this.#stats.skippedInstances += 1;
        const key = `${result.name}|${result.problem}`;
        if (!this.#loggedProblems.has(key) && this.#loggedProblems.size < MAX_LOGGED_PROBLEMS) {
          this.#loggedProblems.add(key);
          this.#logger.warn({ instance: result.name, problem: result.problem }, `${PREFIX}: skipping instance ${result.name}: ${result.problem}`);
        }
      }
    }
    return [...byHost.values()].sort((a, b) => ((a.name ?? "") < (b.name ?? "") ? -1 : (a.name ?? "") > (b.name ?? "") ? 1 : 0));
  }
}

function asList(items: unknown, call: string): unknown[] {
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) throw new DiscoveryError("malformed", `${call} answered items that are not a list: ${JSON.stringify(items)?.slice(0, 120)}`);
  return items;
}

function badMetadata(path: string, value: unknown, expected: string): DiscoveryError {
  return new DiscoveryError(
    "metadata",
    `the metadata server answered ${path} with ${JSON.stringify(value)?.slice(0, 120) ?? String(value)}; expected ${expected}`,
  );
}
