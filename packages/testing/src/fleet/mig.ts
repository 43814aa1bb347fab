// A regional managed instance group as Compute Engine runs one: an instance template, a target size spread
// evenly over the zones, an HTTP health check with autohealing (after the initial delay), rolling replacement
// with maxSurge/maxUnavailable/minReady (and GCE's rule that a regional group's fixed values are 0 or at least
// its number of zones), Spot preemption with recreation, and the load balancer's backend: the instances that
// are healthy and not being deleted get the traffic.
import { FleetError } from "./errors.js";
import type { Fleet, InstanceSpec } from "./fleet.js";
import { type HealthCheck, readiness } from "./health.js";
import type { FakeServiceAccount } from "../fake-gce/instance.js";
import type { Vm } from "./vm.js";

export interface InstanceTemplate {
  readonly name: string;
  readonly machineType: string;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly serviceAccount: FakeServiceAccount | null;
  readonly provisioningModel: "STANDARD" | "SPOT";
}

export interface UpdatePolicy {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  /** How long a new instance must have been healthy before it counts as available. */
  readonly minReadyMs: number;
}

/** The ports one instance serves on, per worker process: the app's (load balancer) and the cache's (status). */
export interface InstancePorts {
  readonly app: readonly number[];
  readonly cache: readonly number[];
}

export interface MigOptions {
  readonly name: string;
  readonly baseInstanceName: string;
  readonly zones: readonly string[];
  readonly template: InstanceTemplate;
  readonly targetSize: number;
  readonly healthCheck?: HealthCheck;
  /** Autohealing leaves a new instance alone this long. */
  readonly initialDelayMs: number;
  /** vCPUs of a machine type. */
  readonly vcpus: (machineType: string) => number;
  readonly ports: (template: InstanceTemplate, vcpus: number) => InstancePorts;
  /** Pause before retrying a creation that failed (a zone down); default 2 s. */
  readonly retryMs?: number;
}

export type InstanceAction = "CREATING" | "RECREATING" | "DELETING" | "NONE";

export interface MigEvent {
  /** Fleet time (ms). */
  readonly at: number;
  readonly instance: string;
  /** `created` (booted), `healthy`, `unhealthy`, `deleting` (left the load balancer, shutdown begins), `deleted`, `preempted`, `recreating`. */
  readonly event: "created" | "healthy" | "unhealthy" | "deleting" | "deleted" | "preempted" | "recreating";
}
export type HealthState = "UNKNOWN" | "HEALTHY" | "UNHEALTHY";

export interface ManagedInstance {
  readonly name: string;
  readonly zone: string;
  template: InstanceTemplate;
  vm: Vm | undefined;
  action: InstanceAction;
  health: HealthState;
  passes: number;
  fails: number;
  /** Fleet time (ms) of the current VM's creation, and since when it has been healthy. */
  createdAt: number;
  healthySince: number | null;
  lastError: string | null;
  retryAt: number;
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";

export class ManagedInstanceGroup {
  readonly name: string;
  readonly instances: ManagedInstance[] = [];
  /** What happened to the instances, oldest first. */
  readonly events: MigEvent[] = [];
  targetSize: number;
  template: InstanceTemplate;
  readonly #fleet: Fleet;
  readonly #options: MigOptions;
  #update: { template: InstanceTemplate; policy: UpdatePolicy; startedAt: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #lastCheck = -Infinity;
  #stopped = false;
  readonly #names = new Set<string>();
  #random = 0x5eed;

  constructor(fleet: Fleet, options: MigOptions) {
    if (options.zones.length === 0) throw new FleetError(`MIG ${options.name}: expected at least one zone`);
    this.#fleet = fleet;
    this.#options = options;
    this.name = options.name;
    this.targetSize = options.targetSize;
    this.template = options.template;
    fleet.own(this);
  }

  /** Starts reconciling: instances are created up to the target size, checked, healed and updated. */
  start(): void {
    this.#fleet.log(`MIG ${this.name}: ${this.targetSize} x ${this.template.name} over ${this.#options.zones.join(", ")}`);
    this.#timer = setInterval(() => void this.#tick(), 100);
  }

  /** Stops reconciling (instances keep running until the fleet is destroyed). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  resize(size: number): void {
    if (!(Number.isInteger(size) && size >= 0)) throw new FleetError(`MIG ${this.name}: expected a size >= 0, got ${size}`);
    this.#fleet.log(`MIG ${this.name}: resize ${this.targetSize} -> ${size}`);
    this.targetSize = size;
  }

  /** `rolling-action start-update --version=template=T --max-surge --max-unavailable --min-ready`. */
  startUpdate(template: InstanceTemplate, policy: UpdatePolicy): void {
    const zones = this.#options.zones.length;
    for (const [field, value] of [
      ["maxSurge", policy.maxSurge],
      ["maxUnavailable", policy.maxUnavailable],
    ] as const) {
      if (!(Number.isInteger(value) && value >= 0)) throw new FleetError(`MIG ${this.name}: updatePolicy.${field} must be a whole number >= 0, got ${value}`);
      if (zones > 1 && value !== 0 && value < zones) {
        throw new FleetError(
          `Invalid value for field 'resource.updatePolicy.${field}.fixed': '${value}'. Fixed updatePolicy.${field} for regional managed instance group has to be either 0 or at least equal to the number of zones (${zones}).`,
        );
      }
    }
    if (policy.maxSurge === 0 && policy.maxUnavailable === 0) throw new FleetError(`MIG ${this.name}: maxSurge or maxUnavailable must be above 0`);
    this.#fleet.log(
      `MIG ${this.name}: rolling update to ${template.name} (maxSurge ${policy.maxSurge}, maxUnavailable ${policy.maxUnavailable}, minReady ${policy.minReadyMs} ms)`,
    );
    this.#update = { template, policy, startedAt: this.#fleet.now() };
    this.template = template;
  }

  /** True when no update is running or every instance runs the update's template and is available. */
  isStable(): boolean {
    const live = this.#live();
    return (
      this.instances.every((i) => i.action === "NONE") &&
      live.length === this.targetSize &&
      live.every((i) => i.template.name === this.template.name && i.health === "HEALTHY")
    );
  }

  /** Instances that get traffic: healthy, running, not being deleted. */
  inService(): ManagedInstance[] {
    return this.instances.filter((i) => i.action === "NONE" && i.health === "HEALTHY" && i.vm?.status === "RUNNING");
  }

  ports(instance: ManagedInstance): InstancePorts {
    return this.#options.ports(instance.template, this.#options.vcpus(instance.template.machineType));
  }

  /** A Spot instance is preempted: 30 s notice, then it is gone; the MIG recreates it (same name). */
  async preempt(name: string): Promise<void> {
    const instance = this.#instance(name);
    if (instance.action !== "NONE") throw new FleetError(`instance is busy (${instance.action})`, { vm: name, phase: "preempt" });
    instance.action = "RECREATING";
    this.#event(name, "preempted");
    try {
      await this.#syncTargets();
      await this.#fleet.deleteVm(name, { preempted: true });
      this.#event(name, "deleted");
      instance.vm = undefined;
      instance.health = "UNKNOWN";
      await this.#createVm(instance);
    } catch (error) {
      instance.lastError = error instanceof Error ? error.message : String(error);
    }
  }

  #event(instance: string, event: MigEvent["event"]): void {
    this.events.push({ at: this.#fleet.now(), instance, event });
  }

  #instance(name: string): ManagedInstance {
    const instance = this.instances.find((i) => i.name === name);
    if (instance === undefined) throw new FleetError(`MIG ${this.name} has no instance ${name}`);
    return instance;
  }

  #live(): ManagedInstance[] {
    return this.instances.filter((i) => i.action !== "DELETING");
  }

  #newName(): string {
    for (;;) {
      let suffix = "";
      for (let i = 0; i < 4; i++) {
        this.#random = (Math.imul(this.#random, 1103515245) + 12345) >>> 0;
        suffix += NAME_CHARS[(this.#random >>> 16) % NAME_CHARS.length];
      }
      const name = `${this.#options.baseInstanceName}-${suffix}`;
      if (!this.#names.has(name)) {
        this.#names.add(name);
        return name;
      }
    }
  }

  /** The zone with the fewest live instances (zones in their configured order on ties). */
  #emptiestZone(among: readonly string[] = this.#options.zones): string {
    const live = this.#live();
    let best = among[0]!;
    let bestCount = Infinity;
    for (const zone of among) {
      const count = live.filter((i) => i.zone === zone).length;
      if (count < bestCount) {
        best = zone;
        bestCount = count;
      }
    }
    return best;
  }

  #spec(instance: ManagedInstance): InstanceSpec {
    const t = instance.template;
    return {
      name: instance.name,
      zone: instance.zone,
      machineType: t.machineType,
      vcpus: this.#options.vcpus(t.machineType),
      tags: t.tags,
      labels: t.labels,
      metadata: {
        ...t.metadata,
        "instance-template": `projects/${this.#fleet.project}/global/instanceTemplates/${t.name}`,
        "created-by": `projects/${this.#fleet.project}/regions/${this.#options.zones[0]!.replace(/-[a-z]$/, "")}/instanceGroupManagers/${this.name}`,
      },
      serviceAccount: t.serviceAccount,
      provisioningModel: t.provisioningModel,
    };
  }

  #add(template: InstanceTemplate, zone: string): void {
    const instance: ManagedInstance = {
      name: this.#newName(),
      zone,
      template,
      vm: undefined,
      action: "CREATING",
      health: "UNKNOWN",
      passes: 0,
      fails: 0,
      createdAt: this.#fleet.now(),
      healthySince: null,
      lastError: null,
      retryAt: 0,
    };
    this.instances.push(instance);
    void this.#createVm(instance);
  }

  async #createVm(instance: ManagedInstance): Promise<void> {
    instance.action = instance.action === "NONE" ? "CREATING" : instance.action;
    try {
      instance.vm = await this.#fleet.createVm(this.#spec(instance));
      instance.createdAt = this.#fleet.now();
      this.#event(instance.name, "created");
      instance.health = "UNKNOWN";
      instance.passes = 0;
      instance.fails = 0;
      instance.healthySince = null;
      instance.lastError = null;
      instance.action = "NONE";
    } catch (error) {
      instance.lastError = error instanceof Error ? error.message : String(error);
      instance.retryAt = this.#fleet.now() + (this.#options.retryMs ?? 2_000);
    }
  }

  /** Out of the load balancer first, then the shutdown window, then gone. */
  async #delete(instance: ManagedInstance): Promise<void> {
    instance.action = "DELETING";
    this.#event(instance.name, "deleting");
    try {
      await this.#syncTargets();
      if (instance.vm !== undefined && instance.vm.status !== "TERMINATED") await this.#fleet.deleteVm(instance.name);
      else if (instance.vm !== undefined) await this.#fleet.removeCrashed(instance.name);
    } catch (error) {
      this.#fleet.log(`MIG ${this.name}: deleting ${instance.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.#event(instance.name, "deleted");
    const i = this.instances.indexOf(instance);
    if (i !== -1) this.instances.splice(i, 1);
  }

  /** Autohealing: the VM is deleted (or its remains removed) and created again with the same name. */
  async #recreate(instance: ManagedInstance): Promise<void> {
    instance.action = "RECREATING";
    this.#event(instance.name, "recreating");
    this.#fleet.log(`MIG ${this.name}: autohealing ${instance.name} (health ${instance.health})`);
    try {
      await this.#syncTargets();
      const vm = instance.vm;
      if (vm !== undefined && vm.status !== "TERMINATED") await this.#fleet.deleteVm(instance.name);
      else if (vm !== undefined && this.#fleet.network.namespaces().includes(vm.ns)) await this.#fleet.removeCrashed(instance.name);
      instance.vm = undefined;
    } catch (error) {
      instance.lastError = error instanceof Error ? error.message : String(error);
    }
    await this.#createVm(instance);
  }

  async #tick(): Promise<void> {
    if (this.#ticking || this.#stopped) return;
    this.#ticking = true;
    try {
      await this.#healthChecks();
      this.#reconcile();
      await this.#syncTargets();
    } catch (error) {
      if (!this.#stopped) this.#fleet.log(`MIG ${this.name}: reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.#ticking = false;
    }
  }

  async #healthChecks(): Promise<void> {
    const check = this.#options.healthCheck;
    const now = this.#fleet.now();
    if (check === undefined) {
      for (const i of this.instances) if (i.action === "NONE" && i.vm?.status === "RUNNING" && i.health !== "HEALTHY") this.#markHealthy(i, now);
      return;
    }
    if (now - this.#lastCheck < check.intervalMs) return;
    this.#lastCheck = now;
    const probed = this.instances.filter((i) => i.vm !== undefined && (i.action === "NONE" || i.action === "CREATING"));
    if (probed.length === 0) return;
    const ask = readiness(check);
    const results = await this.#fleet.lb.probe(
      probed.map((i) => `http://${i.vm!.ip}:${check.port}${ask.path}`),
      check.timeoutMs,
    );
    probed.forEach((instance, n) => {
      const result = results[n]!;
      if (instance.action !== "NONE") return;
      if (ask.healthy(result.status, result.body)) {
        instance.passes++;
        instance.fails = 0;
        if (instance.health !== "HEALTHY" && instance.passes >= check.healthyThreshold) this.#markHealthy(instance, this.#fleet.now());
      } else {
        instance.fails++;
        instance.passes = 0;
        if (instance.health !== "UNHEALTHY" && instance.fails >= check.unhealthyThreshold) {
          instance.health = "UNHEALTHY";
          instance.healthySince = null;
          this.#event(instance.name, "unhealthy");
          this.#fleet.log(`MIG ${this.name}: ${instance.name} UNHEALTHY (${result.error ?? ask.why(result.status, result.body)})`);
        }
      }
    });
  }

  #markHealthy(instance: ManagedInstance, now: number): void {
    instance.health = "HEALTHY";
    instance.healthySince = now;
    this.#event(instance.name, "healthy");
    this.#fleet.log(`MIG ${this.name}: ${instance.name} HEALTHY`);
  }

  #reconcile(): void {
    const now = this.#fleet.now();
    // Creations that failed (a zone down) are tried again.
    for (const i of this.instances) {
      if (i.vm === undefined && (i.action === "CREATING" || i.action === "RECREATING") && i.lastError !== null && now >= i.retryAt) {
        i.lastError = null;
        i.retryAt = Infinity;
        void this.#createVm(i);
      }
    }
    // Autohealing.
    if (this.#options.healthCheck !== undefined) {
      for (const i of this.instances) {
        if (i.action === "NONE" && i.health === "UNHEALTHY" && now - i.createdAt >= this.#options.initialDelayMs) void this.#recreate(i);
      }
    }
    if (this.#update !== undefined) this.#rollingUpdate(now);
    else this.#resize();
  }

  #resize(): void {
    const live = this.#live();
    if (live.length < this.targetSize) {
      for (let n = live.length; n < this.targetSize; n++) this.#add(this.template, this.#emptiestZone());
      return;
    }
    for (let extra = live.length - this.targetSize; extra > 0; extra--) {
      const current = this.#live();
      // From the fullest zone: instances not created yet first, then unhealthy ones, then the newest.
      const counts = new Map<string, number>();
      for (const i of current) counts.set(i.zone, (counts.get(i.zone) ?? 0) + 1);
      const fullest = Math.max(...counts.values());
      // A creation in flight cannot be called back: it is left alone (the next tick deletes the surplus).
      const removable = (i: ManagedInstance): boolean => i.action === "NONE" || (i.vm === undefined && i.lastError !== null);
      const candidates = current.filter((i) => counts.get(i.zone) === fullest && removable(i));
      const rank = (i: ManagedInstance): number => (i.vm === undefined ? 0 : i.health !== "HEALTHY" ? 1 : 2);
      candidates.sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt);
      const victim = candidates[0];
      if (victim === undefined) return;
      if (victim.vm === undefined) this.instances.splice(this.instances.indexOf(victim), 1);
      else void this.#delete(victim);
    }
  }

  #rollingUpdate(now: number): void {
    const { template, policy } = this.#update!;
    const live = this.#live();
    const outdated = live.filter((i) => i.template.name !== template.name);
    const fresh = live.filter((i) => i.template.name === template.name);
    const available = (i: ManagedInstance): boolean =>
      i.action === "NONE" && i.health === "HEALTHY" && i.healthySince !== null && now - i.healthySince >= policy.minReadyMs;
    if (outdated.length === 0 && fresh.every(available) && fresh.length === this.targetSize) {
      this.#fleet.log(`MIG ${this.name}: rolling update to ${template.name} done`);
      this.#update = undefined;
      return;
    }
    let availableCount = live.filter(available).length;
    let liveCount = live.length;
    // Old instances go when enough others are available: unavailable ones first, then the oldest.
    const order = [...outdated].sort((a, b) => Number(available(a)) - Number(available(b)) || a.createdAt - b.createdAt);
    for (const old of order) {
      if (old.action !== "NONE") continue;
      const after = availableCount - (available(old) ? 1 : 0);
      if (after < this.targetSize - policy.maxUnavailable) break;
      availableCount = after;
      liveCount--;
      void this.#delete(old);
    }
    // New instances, within the surge (instances still shutting down count), in the zones that lose old ones.
    let total = this.instances.length;
    let freshCount = fresh.length;
    while (total < this.targetSize + policy.maxSurge && freshCount < this.targetSize && liveCount < this.targetSize + policy.maxSurge) {
      const zonesOfOld = this.instances.filter((i) => i.template.name !== template.name).map((i) => i.zone);
      this.#add(template, this.#emptiestFreshZone(template, zonesOfOld));
      total++;
      freshCount++;
      liveCount++;
    }
  }

  /** The zone with the fewest instances of `template`, preferring zones that still hold old instances. */
  #emptiestFreshZone(template: InstanceTemplate, zonesOfOld: readonly string[]): string {
    const zones = this.#options.zones.filter((z) => zonesOfOld.includes(z));
    const among = zones.length > 0 ? zones : this.#options.zones;
    let best = among[0]!;
    let bestCount = Infinity;
    for (const zone of among) {
      const count = this.instances.filter((i) => i.zone === zone && i.template.name === template.name && i.action !== "DELETING").length;
      if (count < bestCount) {
        best = zone;
        bestCount = count;
      }
    }
    return best;
  }

  /** Tells the fleet's load balancer which app ports of this group's instances get traffic. */
  async #syncTargets(): Promise<void> {
    const targets = this.inService().flatMap((i) =>
      this.ports(i).app.map((port, worker) => ({ name: `${i.name}/${worker}`, url: `http://${i.vm!.ip}:${port}` })),
    );
    await this.#fleet.setBackend(this.name, targets);
  }

  /** A line per instance, for failure messages. */
  describe(): string {
    return this.instances
      .map((i) => `  ${i.name} ${i.zone} ${i.template.name} ${i.action} ${i.health}${i.lastError === null ? "" : ` (last error: ${i.lastError})`}`)
      .join("\n");
  }
}
