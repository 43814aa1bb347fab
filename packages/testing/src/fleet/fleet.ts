// A GCE-like fleet on one machine: a private network of namespaces (FleetNetwork), the fake GCE in its own
// namespace answering the metadata server per VM by source address and the Compute API with IAM checks, a
// load balancer / health checker / backend in another, and VMs (Vm) created, stopped, preempted and crashed
// as Compute Engine does it, with GCE's stateful ingress firewall applied inside each VM.
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeGce } from "../fake-gce/fake-gce.js";
import { FakeIam } from "../fake-gce/iam.js";
import type { FakeInstance, FakeServiceAccount } from "../fake-gce/instance.js";
import { FleetError } from "./errors.js";
import { type FirewallRule, nftCounters, renderNftRuleset } from "./firewall.js";
import { listenInNamespace } from "./listen-in-namespace.js";
import type { LoadTarget } from "./lb-protocol.js";
import { LoadBalancer } from "./load-balancer.js";
import { FleetNetwork, reapStaleFleets } from "./network.js";
import { onTeardown } from "./teardown.js";
import { type JournalEntry, type ShutdownReport, Vm } from "./vm.js";

/** The VM shims shipped with the test kit (systemctl, nproc, google_metadata_script_runner). */
export const VM_SHIMS = fileURLToPath(new URL("../../../fleet-shims/vm", import.meta.url));

/** Google's health-check and load-balancer source ranges: in the fleet, they stand for the load balancer. */
export const GOOGLE_FRONT_END_RANGES = ["35.191.0.0/16", "130.211.0.0/22"];

export interface FleetTimings {
  /** Time from the shutdown signal to power-off when a VM is deleted or stopped (GCE: about 90 s). */
  readonly shutdownWindowMs: number;
  /** The same for a preempted Spot VM (GCE: 30 s). */
  readonly preemptionWindowMs: number;
}

export interface FleetOptions {
  readonly project?: string;
  /** Zones VMs go to (default us-central1-a, -b, -c). */
  readonly zones?: readonly string[];
  /** The VM image's /opt: entry name → host path it links to (e.g. `cachecluster-app` → the app's directory). */
  readonly opt: Readonly<Record<string, string>>;
  readonly timings: FleetTimings;
  /** The backend the app's loader reads, served by the load balancer's agent. */
  readonly backend?: { readonly port?: number; readonly delayMs?: number; readonly valueBytes?: number };
  /** More environment for every VM process (e.g. BACKEND_URL is set already). */
  readonly vmEnv?: Readonly<Record<string, string>>;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /** Every journal line of every VM, as it is written. */
  readonly onJournal?: (entry: JournalEntry) => void;
}

/** What GCE needs to create an instance (from an instance template, or given by a test). */
export interface InstanceSpec {
  readonly name: string;
  readonly zone: string;
  readonly machineType: string;
  readonly vcpus: number;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly serviceAccount: FakeServiceAccount | null;
  readonly provisioningModel: "STANDARD" | "SPOT";
}

const SUBNET = "10.128.";

/** Throws a FleetError naming every bad option. */
function checkOptions(options: FleetOptions): void {
  const problems: string[] = [];
  for (const key of ["shutdownWindowMs", "preemptionWindowMs"] as const) {
    const v = options.timings?.[key];
    if (!(Number.isInteger(v) && v > 0)) problems.push(`timings.${key}: expected a positive whole number of ms, got ${JSON.stringify(v)}`);
  }
  for (const zone of options.zones ?? [])
    if (!/^[a-z]+-[a-z]+\d+-[a-z]$/.test(zone)) problems.push(`zones: expected zone names such as us-central1-a, got ${JSON.stringify(zone)}`);
  if (options.zones !== undefined && options.zones.length === 0) problems.push("zones: expected at least one zone");
  for (const [name, target] of Object.entries(options.opt ?? {})) {
    if (!/^[\w.-]+$/.test(name)) problems.push(`opt: expected a directory name, got ${JSON.stringify(name)}`);
    if (!isAbsolute(target) || !existsSync(target)) problems.push(`opt.${name}: expected an absolute path that exists, got ${JSON.stringify(target)}`);
  }
  if (problems.length > 0) throw new FleetError(`invalid fleet options:\n  ${problems.join("\n  ")}`);
}
export const GCE_ADDRESS = "10.128.0.2";
export const LB_ADDRESS = "10.128.0.3";
/**
 * The operator's address (a second one of the load balancer's namespace): the firewall lets it reach every
 * port, as an operator reaches a VM through IAP, so the tests can read every node's status page whatever the
 * rules under test let through. Health checks and the load come from LB_ADDRESS.
 */
export const OBSERVER_ADDRESS = "10.128.15.250";

export class Fleet {
  readonly project: string;
  readonly zones: readonly string[];
  readonly network: FleetNetwork;
  readonly gce: FakeGce;
  readonly iam: FakeIam;
  readonly lb: LoadBalancer;
  readonly dir: string;
  readonly timings: FleetTimings;
  readonly backendUrl: string;
  readonly valueBytes: number;
  /** `performance.now()` when the fleet began; journal times count from it. */
  readonly epoch: number;
  /** Every VM ever created, by name (a recreated VM replaces its predecessor). */
  readonly vms = new Map<string, Vm>();
  /** VMs that were stopped or crashed, oldest first (for post-mortems). */
  readonly gone: Vm[] = [];
  readonly #options: FleetOptions;
  readonly #downZones = new Set<string>();
  #firewall: FirewallRule[] = [];
  #nextAddress = 10;
  #nextVmDir = 0;
  #destroyed = false;
  readonly #removeTeardown: () => void;

  private constructor(options: FleetOptions, network: FleetNetwork, gce: FakeGce, iam: FakeIam, lb: LoadBalancer, dir: string, epoch: number) {
    this.#options = options;
    this.project = gce.project;
    this.zones = options.zones ?? ["us-central1-a", "us-central1-b", "us-central1-c"];
    this.network = network;
    this.gce = gce;
    this.iam = iam;
    this.lb = lb;
    this.dir = dir;
    this.timings = options.timings;
    this.epoch = epoch;
    this.valueBytes = options.backend?.valueBytes ?? 1024;
    this.backendUrl = `http://${LB_ADDRESS}:${options.backend?.port ?? 8000}`;
    this.#removeTeardown = onTeardown(() => this.#destroySync());
  }

  /** Builds the network, starts the fake GCE and the load balancer. Needs root (network namespaces) and iproute2 and nftables. */
  static async create(options: FleetOptions): Promise<Fleet> {
    checkOptions(options);
    reapStaleFleets();
    const epoch = performance.now();
    const network = await FleetNetwork.create();
    const dir = join(tmpdir(), network.prefix);
    mkdirSync(join(dir, "image-opt"), { recursive: true });
    for (const [name, target] of Object.entries(options.opt)) symlinkSync(target, join(dir, "image-opt", name));
    let gce: FakeGce | undefined;
    let lb: LoadBalancer | undefined;
    try {
      const gceNs = await network.addHost("gce", GCE_ADDRESS);
      const lbNs = await network.addHost("lb", LB_ADDRESS);
      await network.addAddress(lbNs, OBSERVER_ADDRESS);
      const iam = new FakeIam();
      const server = await listenInNamespace(gceNs, GCE_ADDRESS, 80);
      gce = await FakeGce.start({
        project: options.project ?? "fleet-project",
        zones: options.zones ?? ["us-central1-a", "us-central1-b", "us-central1-c"],
        listen: { host: GCE_ADDRESS, port: 80, server },
        metadataBySource: true,
        iam,
      });
      gce.removeInstance(gce.self?.name ?? "");
      lb = await LoadBalancer.start(lbNs, LB_ADDRESS);
      const fleet = new Fleet(options, network, gce, iam, lb, dir, epoch);
      await lb.startBackend(options.backend?.port ?? 8000, options.backend?.delayMs ?? 5, fleet.valueBytes);
      return fleet;
    } catch (error) {
      lb?.close();
      await gce?.close();
      network.destroySync();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  log(line: string): void {
    this.#options.log?.(`${((performance.now() - this.epoch) / 1000).toFixed(1).padStart(6)}s  ${line}`);
  }

  /** ms since the fleet began. */
  now(): number {
    return performance.now() - this.epoch;
  }

  // ---- instances ----------------------------------------------------------------------------------------

  #allocateAddress(): string {
    const n = this.#nextAddress++;
    if (n >= 15 * 256) throw new FleetError("the subnet has no free address left");
    return `${SUBNET}${Math.floor(n / 256)}.${n % 256}`;
  }

  zoneIsDown(zone: string): boolean {
    return this.#downZones.has(zone);
  }

  /** Creates and boots a VM (the instance is RUNNING in the Compute API from its boot on, as on GCE). */
  async createVm(spec: InstanceSpec): Promise<Vm> {
    if (this.#destroyed) throw new FleetError("the fleet was destroyed", { vm: spec.name });
    if (this.#downZones.has(spec.zone)) throw new FleetError(`zone ${spec.zone} is unavailable`, { vm: spec.name, phase: "create" });
    const existing = this.vms.get(spec.name);
    if (existing !== undefined && existing.status !== "TERMINATED")
      throw new FleetError("an instance with this name exists", { vm: spec.name, phase: "create" });
    const ip = this.#allocateAddress();
    const ns = await this.network.addHost(spec.name, ip);
    this.gce.addInstance({
      name: spec.name,
      zone: spec.zone,
      ip,
      status: "PROVISIONING",
      tags: spec.tags,
      labels: spec.labels,
      metadata: spec.metadata,
      machineType: spec.machineType,
      serviceAccount: spec.serviceAccount,
      provisioningModel: spec.provisioningModel,
    });
    const vm = new Vm({
      name: spec.name,
      zone: spec.zone,
      ip,
      ns,
      vcpus: spec.vcpus,
      stateDir: join(this.dir, `vm-${this.#nextVmDir++}-${spec.name}`),
      imageOpt: join(this.dir, "image-opt"),
      shims: VM_SHIMS,
      env: {
        GCE_METADATA_HOST: GCE_ADDRESS,
        METADATA_SERVER_DETECTION: "assume-present",
        COMPUTE_API_URL: `http://${GCE_ADDRESS}:80`,
        BACKEND_URL: this.backendUrl,
        ...this.#options.vmEnv,
      },
      epoch: this.epoch,
      ...(this.#options.onJournal === undefined ? {} : { onJournal: this.#options.onJournal }),
    });
    if (existing !== undefined) this.gone.push(existing);
    this.vms.set(spec.name, vm);
    await this.applyFirewall();
    this.gce.setStatus(spec.name, "STAGING");
    await vm.boot();
    this.gce.setStatus(spec.name, "RUNNING");
    this.log(`${spec.name} booted (${ip}, ${spec.zone}, ${spec.machineType})`);
    return vm;
  }

  vm(name: string): Vm {
    const vm = this.vms.get(name);
    if (vm === undefined) throw new FleetError(`no VM ${name}`);
    return vm;
  }

  /** VMs that are not TERMINATED. */
  running(): Vm[] {
    return [...this.vms.values()].filter((v) => v.status !== "TERMINATED");
  }

  /**
   * Stops and deletes a VM as GCE does: STOPPING (the load balancer stops sending to it), the shutdown window
   * (`preempted`: a Spot VM's 30 s notice, with `instance/preempted` TRUE), power-off, then the instance is gone
   * from the Compute API and its namespace is deleted.
   */
  async deleteVm(name: string, options: { preempted?: boolean } = {}): Promise<ShutdownReport> {
    const vm = this.vm(name);
    const instance = this.gce.instance(name);
    if (instance !== undefined) {
      instance.status = "STOPPING";
      if (options.preempted === true) instance.preempted = true;
    }
    const windowMs = options.preempted === true ? this.timings.preemptionWindowMs : this.timings.shutdownWindowMs;
    this.log(`${name}: ${options.preempted === true ? "preempted" : "deleting"}, shutdown window ${windowMs} ms`);
    const report = await vm.shutdown(windowMs);
    await this.#forget(vm);
    this.log(
      `${name}: powered off (shutdown script ${report.scriptExit ?? "cut off"} after ${report.scriptMs ?? "-"} ms, services stopped after ${report.servicesStoppedMs ?? "-"} ms, ${report.killedAtPowerOff} killed at power-off)`,
    );
    return report;
  }

  /** The VM vanishes at once: its processes are SIGKILLed and its network unplugged; GCE still lists it. */
  async crashVm(name: string): Promise<void> {
    const vm = this.vm(name);
    vm.crash();
    await this.network.setPlugged(vm.ns, false);
    this.log(`${name}: crashed`);
  }

  /** Deletes a crashed VM's instance and namespace (what a MIG does before it recreates it). */
  async removeCrashed(name: string): Promise<void> {
    const vm = this.vm(name);
    if (vm.status !== "TERMINATED") throw new FleetError("the VM is running", { vm: name });
    await this.#forget(vm);
  }

  async #forget(vm: Vm): Promise<void> {
    this.gce.removeInstance(vm.name);
    if (this.network.namespaces().includes(vm.ns)) await this.network.removeHost(vm.ns);
    this.gone.push(vm);
    await this.applyFirewall();
  }

  /**
   * A zone outage: every VM in `zone` crashes at once (no shutdown script, network unplugged, still listed by
   * the Compute API) and no VM can be created there until `restoreZone`.
   */
  async zoneOutage(zone: string): Promise<Vm[]> {
    this.#downZones.add(zone);
    const victims = this.running().filter((v) => v.zone === zone);
    for (const vm of victims) vm.crash();
    await Promise.all(victims.map((vm) => this.network.setPlugged(vm.ns, false)));
    this.log(`zone ${zone} is down: ${victims.map((v) => v.name).join(", ") || "no VM"} lost`);
    return victims;
  }

  restoreZone(zone: string): void {
    this.#downZones.delete(zone);
  }

  // ---- load balancer ------------------------------------------------------------------------------------

  readonly #backends = new Map<string, readonly LoadTarget[]>();
  #pushedTargets = "";

  /** Sets the serving targets of one backend (a MIG, or standalone VMs); the load balancer gets their union. */
  async setBackend(name: string, targets: readonly LoadTarget[]): Promise<void> {
    this.#backends.set(name, targets);
    const all = [...this.#backends.values()].flat().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const key = JSON.stringify(all);
    if (key === this.#pushedTargets) return;
    this.#pushedTargets = key;
    await this.lb.setTargets(all);
  }

  // ---- firewall -----------------------------------------------------------------------------------------

  get firewall(): readonly FirewallRule[] {
    return this.#firewall;
  }

  /** Replaces the VPC's firewall rules (ingress; egress is open) and applies them to every VM. */
  async setFirewall(rules: readonly FirewallRule[]): Promise<void> {
    this.#firewall = [...rules];
    await this.applyFirewall();
  }

  #sources(rule: FirewallRule): string[] {
    const out = new Set<string>();
    for (const range of rule.sourceRanges) out.add(GOOGLE_FRONT_END_RANGES.includes(range) ? LB_ADDRESS : range);
    if (rule.sourceTags.length > 0) {
      for (const instance of this.gce.instances()) {
        if (instance.tags.some((t) => rule.sourceTags.includes(t))) for (const nic of instance.networkInterfaces) out.add(nic.networkIP);
      }
    }
    return [...out];
  }

  /** The latest applyFirewall, which the next one waits for (see there); never rejects. */
  #firewallLoaded: Promise<void> = Promise.resolve();

  /**
   * Renders and loads every running VM's nftables ruleset (tags resolve to the addresses of now). Calls run one
   * after another, each rendering when its turn comes: VMs that boot at once call it at once, and loads run side by
   * side could finish out of order, leaving a VM the older ruleset, without a VM that booted meanwhile (fleet (e)
   * once saw one VM reach no other over TCP while they all reached it: their ingress did not know its address).
   */
  applyFirewall(): Promise<void> {
    const load = this.#firewallLoaded.then(() => this.#loadFirewall());
    this.#firewallLoaded = load.catch(() => undefined);
    return load;
  }

  async #loadFirewall(): Promise<void> {
    await Promise.all(
      this.running()
        .filter((vm) => this.network.namespaces().includes(vm.ns))
        .map(async (vm) => {
          const instance: FakeInstance | undefined = this.gce.instance(vm.name);
          const ruleset = renderNftRuleset({ tags: instance?.tags ?? [] }, this.#firewall, (r) => this.#sources(r), [OBSERVER_ADDRESS]);
          await this.network.exec(vm.ns, "nft", ["-f", "-"], ruleset);
        }),
    );
  }

  /** Packets per firewall rule on a VM (rule name → count; also UDP_IN / TCP_IN: what arrived from the network). */
  async firewallCounters(name: string): Promise<Record<string, number>> {
    const vm = this.vm(name);
    return nftCounters(await this.network.exec(vm.ns, "nft", ["-j", "list", "table", "inet", "gce"]));
  }

  // ---- teardown -----------------------------------------------------------------------------------------

  /** Stops everything: VMs are killed (no shutdown window), namespaces and state directory deleted. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroySync();
    await this.gce.close();
  }

  readonly #stoppables = new Set<{ stop(): void }>();

  /** Something to stop before the fleet is torn down (a MIG's reconcile loop). */
  own(stoppable: { stop(): void }): void {
    this.#stoppables.add(stoppable);
  }

  #destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#removeTeardown();
    for (const s of this.#stoppables) s.stop();
    for (const vm of this.vms.values()) vm.crash();
    this.lb.close();
    this.network.destroySync();
    if (process.env.CCFLEET_KEEP_STATE !== "1") rmSync(this.dir, { recursive: true, force: true });
  }
}
