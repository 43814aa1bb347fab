// One scenario's fleet: the fake GCE, the kit replayed into it (create-fleet.sh), the MIG up with one ring, and
// the steady zipf read load through every VM. Every wait is bounded and, when it runs out, fails with the
// phase, the VMs involved and their journals.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Fleet,
  FleetError,
  type KitSpec,
  type LoadReport,
  type ManagedInstanceGroup,
  type NodeView,
  type PhaseReport,
  type Vm,
  WARM_UP,
  deployKit,
  describeViews,
  kitSpec,
  migNodeUrls,
  nodeViews,
  oneRing,
  replayKit,
} from "@cachecluster/testing/fleet";
import type { DeployOptions } from "@cachecluster/testing/fleet";
import { REPO_ROOT } from "./paths.js";
import type { Profile } from "./profiles.js";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The app the VMs run: examples/gce-app, reached through the VM image's /opt/cachecluster-app. */
const APP_ENTRY = "/opt/cachecluster-app/dist/gce-app/main.js";

export interface RunOptions {
  readonly profile: Profile;
  /** Kit settings of this scenario (SIZE, WORKERS, MACHINE_TYPE, SPOT, ...). */
  readonly kit: Readonly<Record<string, string>>;
  readonly deploy?: DeployOptions;
  /** Changes the kit's firewall rules before the MIG is created (scenario e). */
  readonly firewall?: (spec: KitSpec) => KitSpec["firewall"];
  readonly log?: (line: string) => void;
}

export interface RingTime {
  /** What the time counts from, e.g. `the last old VM began to leave`. */
  readonly after: string;
  readonly ms: number;
}

export interface ScenarioResult {
  readonly scenario: string;
  /** VMs and workers, e.g. `6 VMs x 1 worker`. */
  readonly fleet: string;
  readonly gets: number;
  readonly failed: number;
  /** Backend loads beyond the first, per key loaded. */
  readonly extraLoadsPerKey: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Time until every node saw one ring, after each of the scenario's events. */
  readonly rings: readonly RingTime[];
  readonly notes: readonly string[];
  readonly phases: readonly PhaseReport[];
}

export class FleetRun {
  readonly fleet: Fleet;
  readonly profile: Profile;
  readonly env: Readonly<Record<string, string>>;
  spec!: KitSpec;
  mig!: ManagedInstanceGroup;
  phase = "create the fleet";
  #loading = false;

  private constructor(fleet: Fleet, profile: Profile, env: Readonly<Record<string, string>>) {
    this.fleet = fleet;
    this.profile = profile;
    this.env = env;
  }

  /** Creates the fleet with the kit, waits until the MIG is stable and every node sees one ring. */
  static async start(options: RunOptions): Promise<FleetRun> {
    const { profile } = options;
    const fleet = await Fleet.create({
      opt: { "cachecluster-app": join(REPO_ROOT, "examples") },
      timings: profile.timings,
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    try {
      const appEnv = join(fleet.dir, "app.env");
      writeFileSync(
        appEnv,
        Object.entries({ CACHECLUSTER_LOG_LEVEL: "info", ...profile.appEnv })
          .map(([k, v]) => `${k}=${v}\n`)
          .join(""),
      );
      const env = {
        PROJECT: fleet.project,
        REGION: "us-central1",
        ZONES: fleet.zones.join(","),
        CLUSTER: "cache",
        MACHINE_TYPE: "e2-small",
        WORKERS: "1",
        CACHE_MIB: "64",
        APP_HEAP_MIB: "64",
        APP_ENTRY,
        APP_ENV_FILE: appEnv,
        ...profile.kit,
        ...options.kit,
      };
      const run = new FleetRun(fleet, profile, env);
      let spec = kitSpec(await replayKit("create-fleet.sh", env));
      if (options.firewall !== undefined) spec = { ...spec, firewall: options.firewall(spec) };
      run.spec = spec;
      run.mig = await deployKit(fleet, spec, options.deploy ?? {});
      await run.waitStable();
      await run.waitOneRing();
      return run;
    } catch (error) {
      await fleet.destroy();
      throw error;
    }
  }

  log(line: string): void {
    this.fleet.log(line);
  }

  /**
   * Starts the steady zipf read load through every VM in service (bounded in count and time): a warm-up phase
   * (caches fill, each node's first peer fetches and loads), whose latencies the summary leaves out, then the
   * current phase.
   */
  async startLoad(): Promise<void> {
    const l = this.profile.load;
    const phase = this.phase;
    await this.fleet.lb.startLoad(
      { ...l, maxGets: Math.ceil(l.rate * 600), maxMs: 600_000, seed: 15, valueBytes: this.fleet.valueBytes },
      `${WARM_UP}: caches fill`,
    );
    this.#loading = true;
    await sleep(this.profile.steadyMs);
    await this.fleet.lb.phase(phase);
  }

  /** Begins a phase: its gets are reported apart, and a failure names it. */
  async begin(phase: string): Promise<void> {
    this.phase = phase;
    this.log(`── ${phase}`);
    if (this.#loading) await this.fleet.lb.phase(phase);
  }

  async stopLoad(): Promise<LoadReport> {
    this.#loading = false;
    return this.fleet.lb.stopLoad();
  }

  /** Polls `check` until it holds; on timeout, fails with the phase and what `explain` says. */
  async waitFor(
    what: string,
    check: () => Promise<boolean> | boolean,
    explain: () => Promise<string> | string,
    timeoutMs = this.profile.waitMs,
  ): Promise<number> {
    const started = performance.now();
    for (;;) {
      if (await check()) return performance.now() - started;
      if (performance.now() - started > timeoutMs) {
        throw new FleetError(`${what}: not within ${Math.round(timeoutMs / 1000)} s\n${await explain()}`, { phase: this.phase });
      }
      await sleep(200);
    }
  }

  /** Waits until the MIG is at its target size, every instance on the current template and healthy. */
  async waitStable(timeoutMs = this.profile.waitMs): Promise<number> {
    return this.waitFor(
      `MIG ${this.mig.name} stable at ${this.mig.targetSize} x ${this.mig.template.name}`,
      () => this.mig.isStable(),
      () => `MIG instances:\n${this.mig.describe()}\n${this.describeVms(this.mig.instances.flatMap((i) => (i.vm === undefined ? [] : [i.vm])))}`,
      timeoutMs,
    );
  }

  /** Node URLs of the MIG's running workers plus `extra`. */
  nodeUrls(extra: readonly string[] = []): string[] {
    return [...migNodeUrls(this.mig), ...extra];
  }

  /** Waits until every node of `urls()` answers and sees exactly those nodes on its ring; resolves with the time it took. */
  async waitOneRing(urls: () => string[] = () => this.nodeUrls(), timeoutMs = this.profile.waitMs): Promise<number> {
    let last: NodeView[] = [];
    return this.waitFor(
      "one ring on every node",
      async () => {
        const expected = urls();
        last = await nodeViews(this.fleet, expected);
        return oneRing(last, expected);
      },
      () => {
        const expected = urls();
        const ips = new Set(last.filter((v) => !v.answered || v.ring.join(" ") !== [...expected].sort().join(" ")).map((v) => new URL(v.url).hostname));
        return `expected ring: ${expected.map((u) => u.replace(/^http:\/\//, "")).join(" ")}\nnodes that disagree:\n${describeViews(last, expected)}\n${this.describeVms(this.fleet.running().filter((vm) => ips.has(vm.ip)))}`;
      },
      timeoutMs,
    );
  }

  /** Waits for one ring; the time from fleet time `since` (ms) until it was seen. */
  async ringSince(since: number, urls?: () => string[]): Promise<number> {
    await this.waitOneRing(urls);
    return Math.round(this.fleet.now() - since);
  }

  describeVms(vms: readonly Vm[]): string {
    return vms.map((vm) => vm.describe(12)).join("\n");
  }

  /** Loads per key at the backend: (all loads − keys) / keys. */
  async extraLoadsPerKey(): Promise<number> {
    const counts = await this.fleet.lb.backendCounts();
    return counts.keys === 0 ? 0 : (counts.loads - counts.keys) / counts.keys;
  }

  /** `N VMs x W workers`, from the MIG now. */
  shape(): string {
    const instances = this.mig.instances.filter((i) => i.vm !== undefined);
    const workers = instances.length === 0 ? 0 : this.mig.ports(instances[0]!).cache.length;
    return `${instances.length} VMs x ${workers} worker${workers === 1 ? "" : "s"}`;
  }

  async close(): Promise<void> {
    await this.fleet.destroy();
  }
}

/** The scenario's line of the summary table, from the load's report. */
export function summarize(
  scenario: string,
  fleet: string,
  report: LoadReport,
  extraLoadsPerKey: number,
  rings: readonly RingTime[],
  notes: readonly string[],
): ScenarioResult {
  const t = report.total;
  return { scenario, fleet, gets: t.gets, failed: t.failed, extraLoadsPerKey, p50Ms: t.p50Ms, p99Ms: t.p99Ms, rings, notes, phases: report.phases };
}
