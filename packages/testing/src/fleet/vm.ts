// One simulated VM: a network namespace (made by the fleet) plus a mount and UTS namespace held by a small
// "init" process: the host's /etc, /opt and /var are overlaid with the VM's own writable layers (and /opt with
// the VM image's app), and the hostname is the instance name. Processes run in the VM through nsenter.
// It boots as GCE boots one: the guest agent's script runner fetches `startup-script` from the metadata
// server and runs it as root; the script's `systemctl` reaches the VM's UnitManager. It stops as GCE stops
// one: the shutdown script, then every service stopped, and whatever still runs when the shutdown window
// ends is killed with SIGKILL (power off).
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { FleetError } from "./errors.js";
import { namespacePids } from "./network.js";
import { serveSystemctl } from "./systemctl-server.js";
import { type ServiceStatus, type SpawnInVm, UnitManager } from "./unit-manager.js";

export type VmStatus = "PROVISIONING" | "STAGING" | "RUNNING" | "STOPPING" | "TERMINATED";

export interface JournalEntry {
  /** ms since the fleet began. */
  readonly at: number;
  readonly vm: string;
  /** SyslogIdentifier: `cachecluster-0`, `systemd`, `google_metadata_script_runner`, ... */
  readonly identifier: string;
  readonly pid: number | undefined;
  readonly line: string;
}

export interface VmOptions {
  readonly name: string;
  readonly zone: string;
  readonly ip: string;
  /** The VM's network namespace (created and plugged in by the fleet). */
  readonly ns: string;
  readonly vcpus: number;
  /** Where the VM's writable layers, systemctl socket and journal live. */
  readonly stateDir: string;
  /** A directory laid over /opt: the VM image's app (e.g. holding `cachecluster-app`). */
  readonly imageOpt: string;
  /** The VM's shims directory (systemctl, nproc, google_metadata_script_runner), first on PATH. */
  readonly shims: string;
  /** What the VM's processes get besides PATH: GCE_METADATA_HOST and the like. */
  readonly env: Readonly<Record<string, string>>;
  /** The fleet's clock: `performance.now()` when the fleet began. */
  readonly epoch: number;
  readonly onJournal?: (entry: JournalEntry) => void;
}

export interface ShutdownReport {
  readonly windowMs: number;
  /** The shutdown script's exit code (null: still running when the window ended). */
  readonly scriptExit: number | null;
  /** When the shutdown script ended and when every service had stopped (ms after the shutdown began). */
  readonly scriptMs: number | null;
  readonly servicesStoppedMs: number | null;
  /** Processes still running at power-off (killed with SIGKILL). */
  readonly killedAtPowerOff: number;
}

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export class Vm {
  readonly name: string;
  readonly zone: string;
  readonly ip: string;
  readonly ns: string;
  readonly vcpus: number;
  readonly stateDir: string;
  readonly units: UnitManager;
  readonly journal: JournalEntry[] = [];
  status: VmStatus = "PROVISIONING";
  /** Exit code of the startup script (null while it runs, or before boot). */
  startupExit: number | null = null;
  startupDone: Promise<number> = Promise.resolve(-1);
  readonly #options: VmOptions;
  #init: ChildProcess | undefined;
  #initPid = 0;
  #systemctl: Server | undefined;
  readonly #journalFile: string;

  constructor(options: VmOptions) {
    this.#options = options;
    this.name = options.name;
    this.zone = options.zone;
    this.ip = options.ip;
    this.ns = options.ns;
    this.vcpus = options.vcpus;
    this.stateDir = options.stateDir;
    this.#journalFile = join(options.stateDir, "journal.log");
    this.units = new UnitManager({
      name: this.name,
      readFile: (path) => this.readFile(path),
      spawn: (argv, spawnOptions) => this.spawn(argv, spawnOptions),
      log: (identifier, line, pid) => this.log(identifier, line, pid),
      managerEnv: () => this.managerEnv(),
    });
  }

  /** The environment of the VM's system processes and services. */
  managerEnv(): Record<string, string> {
    return {
      PATH: `${this.#options.shims}:${PATH}`,
      LANG: "C.UTF-8",
      ...this.#options.env,
      CCFLEET_SYSTEMD_SOCKET: join(this.stateDir, "systemd.sock"),
      CCFLEET_VCPUS: String(this.vcpus),
    };
  }

  log(identifier: string, line: string, pid?: number): void {
    const entry: JournalEntry = { at: Math.round(performance.now() - this.#options.epoch), vm: this.name, identifier, pid, line };
    this.journal.push(entry);
    if (this.journal.length > 20_000) this.journal.splice(0, 5_000);
    try {
      appendFileSync(this.#journalFile, `${(entry.at / 1000).toFixed(3)} ${identifier}${pid === undefined ? "" : `[${pid}]`}: ${line}\n`);
    } catch {
      // the state directory is gone (fleet destroyed)
    }
    this.#options.onJournal?.(entry);
  }

  /** Powers the VM on: its init process (mounts, hostname), the systemctl socket, then the startup script. */
  async boot(): Promise<void> {
    this.status = "STAGING";
    const dir = this.stateDir;
    for (const layer of ["etc", "opt", "var"]) for (const part of ["upper", "work"]) mkdirSync(join(dir, `${layer}-${part}`), { recursive: true });
    const overlay = (target: string, lower: string): string =>
      `mount -t overlay overlay -o lowerdir=${lower},upperdir=${dir}${target}-upper,workdir=${dir}${target}-work ${target}`;
    const script = [
      "set -e",
      overlay("/etc", "/etc"),
      overlay("/opt", `${this.#options.imageOpt}:/opt`),
      overlay("/var", "/var"),
      `echo ${this.name} > /proc/sys/kernel/hostname`,
      `echo ${this.name} > /etc/hostname`,
      `printf '%s %s\\n' ${this.ip} ${this.name} >> /etc/hosts`,
      "echo ready",
      "exec sleep infinity",
    ].join("\n");
    const init = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.ns,
        "unshare",
        "--mount",
        "--uts",
        "--propagation",
        "private",
        "--",
        "setpriv",
        "--pdeathsig",
        "KILL",
        "--",
        "/bin/sh",
        "-c",
        script,
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.#init = init;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new FleetError(`the VM's init did not come up within 10 s: ${output}`, { vm: this.name, phase: "boot" })), 10_000);
      init.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      init.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      init.once("exit", (code) => {
        clearTimeout(timer);
        reject(new FleetError(`the VM's init exited with ${code}: ${output}`, { vm: this.name, phase: "boot" }));
      });
    });
    this.#initPid = init.pid ?? 0;
    this.#systemctl = await serveSystemctl(this.units, join(dir, "systemd.sock"));
    this.status = "RUNNING";
    this.log("kernel", `booted ${this.name} (${this.ip}, ${this.zone}, ${this.vcpus} vCPU)`);
    this.startupDone = this.runScript("startup", Number.POSITIVE_INFINITY).then((code) => (this.startupExit = code ?? -1));
  }

  /** A path as the VM sees it (through its init's root), on the host. */
  hostPath(path: string): string {
    if (this.#initPid === 0) throw new FleetError("the VM is not running", { vm: this.name });
    return `/proc/${this.#initPid}/root${path}`;
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(this.hostPath(path), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Starts a process inside the VM (its namespaces, working directory, user, file limit, environment). */
  spawn(argv: readonly string[], options: SpawnInVm): ChildProcess {
    if (this.#initPid === 0 || this.status === "TERMINATED") throw new FleetError(`cannot start ${argv[0]}: the VM is not running`, { vm: this.name });
    const nsenter = ["--target", String(this.#initPid), "--net", "--mount", "--uts"];
    if (options.cwd !== undefined) nsenter.push(`--wdns=${options.cwd}`);
    const prefix = ["nsenter", ...nsenter, "--"];
    if (options.nofile !== undefined) {
      // A container's hard limit may be below the unit's LimitNOFILE; systemd as root could raise it, we cannot.
      const nofile = Math.min(options.nofile, hostNofileLimit());
      prefix.push("prlimit", `--nofile=${nofile}:${nofile}`);
    }
    if (options.user !== undefined) prefix.push("setpriv", `--reuid=${options.user}`, `--regid=${options.group ?? options.user}`, "--init-groups", "--");
    // After the user change, which clears it: the process dies with the simulator (its parent) whatever happens.
    prefix.push("setpriv", "--pdeathsig", "KILL", "--");
    return spawn(prefix[0]!, [...prefix.slice(1), ...argv], { env: { ...options.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  }

  /** Runs the guest agent's script runner for `startup` or `shutdown`; resolves with its exit code (null: killed at the deadline). */
  runScript(kind: "startup" | "shutdown", timeoutMs: number): Promise<number | null> {
    const child = this.spawn(["/bin/bash", join(this.#options.shims, "google_metadata_script_runner"), kind], { env: this.managerEnv() });
    const pid = child.pid;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream !== null) createInterface({ input: stream }).on("line", (line) => this.log("google_metadata_script_runner", line, pid));
    }
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            if (pid !== undefined) killGroup(pid);
          }, timeoutMs)
        : undefined;
      child.once("exit", (code) => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(code);
      });
      child.once("error", () => resolve(null));
    });
  }

  /**
   * Stops the VM as GCE does: the shutdown script runs, then the OS stops every service; when `windowMs` is
   * over, whatever still runs is killed (power off).
   */
  async shutdown(windowMs: number): Promise<ShutdownReport> {
    if (this.status === "TERMINATED") return { windowMs, scriptExit: null, scriptMs: null, servicesStoppedMs: null, killedAtPowerOff: 0 };
    this.status = "STOPPING";
    const started = performance.now();
    this.log("kernel", `ACPI shutdown: ${windowMs} ms until power-off`);
    let scriptExit: number | null = null;
    let scriptMs: number | null = null;
    let servicesStoppedMs: number | null = null;
    const sequence = (async () => {
      scriptExit = await this.runScript("shutdown", windowMs);
      scriptMs = Math.round(performance.now() - started);
      await this.units.stopAll();
      servicesStoppedMs = Math.round(performance.now() - started);
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([sequence, new Promise<void>((resolve) => (timer = setTimeout(resolve, windowMs)))]);
    clearTimeout(timer);
    const killed = this.#powerOff();
    if (killed > 0) this.log("kernel", `power off: ${killed} process(es) still running were killed`);
    return { windowMs, scriptExit, scriptMs, servicesStoppedMs, killedAtPowerOff: killed };
  }

  /** The VM disappears at once (host failure, zone outage): every process gets SIGKILL, no script runs. */
  crash(): void {
    if (this.status === "TERMINATED") return;
    this.log("kernel", "crash: every process killed");
    this.#powerOff();
  }

  /** Kills every process in the VM (init included); returns how many besides init were still running. */
  #powerOff(): number {
    this.units.close();
    this.status = "TERMINATED";
    const pids = namespacePids(this.ns);
    let others = 0;
    for (const pid of pids) {
      if (pid !== this.#initPid) others++;
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    this.#init?.kill("SIGKILL");
    this.#systemctl?.close();
    this.#systemctl?.closeAllConnections();
    return others;
  }

  services(): ServiceStatus[] {
    return this.units.statuses();
  }

  /** Status, services and the journal's last lines: what a failure message needs. */
  describe(lines = 15): string {
    const services = this.services()
      .map((s) => `${s.name}=${s.state}${s.restarts > 0 ? ` (${s.restarts} restarts)` : ""}${s.lastExit === undefined ? "" : ` last exit ${s.lastExit}`}`)
      .join(", ");
    const tail = this.journal
      .slice(-lines)
      .map((e) => `    ${(e.at / 1000).toFixed(1)}s ${e.identifier}: ${e.line}`)
      .join("\n");
    return `${this.name} (${this.ip}, ${this.zone}) ${this.status}, startup script ${this.startupExit ?? "running"}, services: ${services || "none"}\n  journal (last ${lines} lines, all in ${this.#journalFile}):\n${tail}`;
  }
}

let nofileLimit: number | undefined;

/** This process's hard limit of open files (what a child may be given). */
function hostNofileLimit(): number {
  if (nofileLimit === undefined) {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const hard = line?.trim().split(/\s+/)[4];
    nofileLimit = hard === undefined || hard === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(hard);
  }
  return nofileLimit;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // gone
  }
}
