// The part of systemd a simulated VM needs: services from unit files in /etc/systemd/system (template instances
// too), started with their environment, user and working directory; stdout/stderr to the journal; stop with
// KillSignal, then SIGKILL after TimeoutStopSec; Restart= with RestartSec and the start limit. The systemctl
// shim on the VM's PATH talks to it (see systemctl-server.ts).
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { FleetError } from "./errors.js";
import { type UnitSections, execArgv, parseEnvironment, parseEnvironmentFile, parseTimespan, parseUnitFile, unitName } from "./unit-file.js";

export interface UnitHost {
  /** The VM's name, for messages. */
  readonly name: string;
  /** A file as the VM sees it; undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Starts a process inside the VM. */
  spawn(argv: readonly string[], options: SpawnInVm): ChildProcess;
  /** Appends a line to the VM's journal. */
  log(identifier: string, line: string, pid?: number): void;
  /** The environment systemd gives every service on this VM (PATH, and the simulator's settings). */
  managerEnv(): Readonly<Record<string, string>>;
}

export interface SpawnInVm {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly user?: string;
  readonly group?: string;
  readonly nofile?: number;
}

export type ServiceState = "inactive" | "activating" | "active" | "deactivating" | "failed";

export interface ServiceStatus {
  readonly name: string;
  readonly state: ServiceState;
  readonly pid: number | undefined;
  /** Starts in all, and restarts the Restart= policy made. */
  readonly starts: number;
  readonly restarts: number;
  /** How the last process ended: `code 0`, `signal SIGKILL`, ... */
  readonly lastExit: string | undefined;
}

interface ServiceConfig {
  readonly unit: UnitSections;
  readonly service: ReadonlyMap<string, readonly string[]>;
}

const UNIT_DIR = "/etc/systemd/system";

class Service {
  state: ServiceState = "inactive";
  child: ChildProcess | undefined;
  starts = 0;
  restarts = 0;
  startTimes: number[] = [];
  lastExit: string | undefined;
  stopWanted = false;
  restartTimer: NodeJS.Timeout | undefined;
  exited: Promise<void> = Promise.resolve();
  enabled = false;

  constructor(readonly name: string) {}
}

function first(config: ServiceConfig, key: string): string | undefined {
  return config.service.get(key)?.at(-1);
}

export class UnitManager {
  readonly #host: UnitHost;
  readonly #services = new Map<string, Service>();
  readonly #loaded = new Map<string, ServiceConfig>();
  #closed = false;

  constructor(host: UnitHost) {
    this.#host = host;
  }

  /** `systemctl daemon-reload`: unit files are read again at the next start. */
  daemonReload(): void {
    this.#loaded.clear();
  }

  async #config(name: string): Promise<ServiceConfig> {
    const { file } = unitName(name);
    const cached = this.#loaded.get(name);
    if (cached !== undefined) return cached;
    const text = await this.#host.readFile(`${UNIT_DIR}/${file}`);
    if (text === undefined) throw new FleetError(`Unit ${name} not found.`, { vm: this.#host.name });
    const unit = parseUnitFile(text, name);
    const service = unit.get("Service");
    if (service === undefined || service.get("ExecStart") === undefined)
      throw new FleetError(`Unit ${name} has no [Service] ExecStart=`, { vm: this.#host.name });
    const config = { unit, service };
    this.#loaded.set(name, config);
    return config;
  }

  #service(name: string): Service {
    let service = this.#services.get(name);
    if (service === undefined) this.#services.set(name, (service = new Service(name)));
    return service;
  }

  enable(name: string): void {
    this.#service(name).enabled = true;
  }

  async start(name: string): Promise<void> {
    const service = this.#service(name);
    if (service.state === "active" || service.state === "activating") return;
    if (service.state === "deactivating") await service.exited;
    service.stopWanted = false;
    service.startTimes = [];
    await this.#launch(service);
  }

  async restart(name: string): Promise<void> {
    await this.stop(name);
    await this.start(name);
  }

  async #launch(service: Service): Promise<void> {
    if (this.#closed) return;
    const config = await this.#config(service.name);
    const env: Record<string, string> = { ...this.#host.managerEnv(), ...parseEnvironment(config.service.get("Environment") ?? []) };
    for (const entry of config.service.get("EnvironmentFile") ?? []) {
      const optional = entry.startsWith("-");
      const path = optional ? entry.slice(1) : entry;
      const text = await this.#host.readFile(path);
      if (text === undefined) {
        if (optional) continue;
        service.state = "failed";
        this.#host.log("systemd", `${service.name}: Failed to load environment files: ${path} does not exist`);
        throw new FleetError(`${service.name}: environment file ${path} does not exist`, { vm: this.#host.name });
      }
      Object.assign(env, parseEnvironmentFile(text));
    }
    const argv = execArgv(first(config, "ExecStart")!, env);
    const identifier = first(config, "SyslogIdentifier") ?? unitName(service.name).prefix;
    const nofile = first(config, "LimitNOFILE");
    const user = first(config, "User");
    const group = first(config, "Group");
    const cwd = first(config, "WorkingDirectory");
    service.state = "activating";
    service.starts++;
    service.startTimes.push(performance.now());
    const child = this.#host.spawn(argv, {
      env,
      ...(cwd === undefined ? {} : { cwd }),
      ...(user === undefined ? {} : { user }),
      ...(group === undefined ? {} : { group }),
      ...(nofile === undefined ? {} : { nofile: Number(nofile) }),
    });
    service.child = child;
    const pid = child.pid;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on("line", (line) => this.#host.log(identifier, line, pid));
    }
    service.exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        service.child = undefined;
        service.lastExit = signal === null ? `code ${code}` : `signal ${signal}`;
        this.#host.log("systemd", `${service.name}: Main process exited, ${signal === null ? `code=exited, status=${code}` : `code=killed, signal=${signal}`}`);
        resolve();
        this.#onExit(service, config, code, signal);
      });
    });
    await new Promise<void>((resolve) => {
      child.once("spawn", () => {
        if (service.state === "activating") service.state = "active";
        this.#host.log("systemd", `Started ${service.name}.`);
        resolve();
      });
      child.once("error", (error) => {
        this.#host.log("systemd", `${service.name}: Failed to execute ${argv[0]}: ${error.message}`);
        service.state = "failed";
        resolve();
      });
    });
  }

  #onExit(service: Service, config: ServiceConfig, code: number | null, signal: NodeJS.Signals | null): void {
    if (service.stopWanted || this.#closed) {
      service.state = "inactive";
      return;
    }
    const policy = first(config, "Restart") ?? "no";
    const clean = code === 0 || signal === "SIGTERM" || signal === "SIGINT" || signal === "SIGHUP" || signal === "SIGPIPE";
    const again = policy === "always" || (policy === "on-failure" && !clean) || (policy === "on-abnormal" && signal !== null && !clean);
    if (!again) {
      service.state = clean ? "inactive" : "failed";
      return;
    }
    const intervalMs = parseTimespan(config.unit.get("Unit")?.get("StartLimitIntervalSec")?.at(-1) ?? "10s", "StartLimitIntervalSec");
    const burst = Number(config.unit.get("Unit")?.get("StartLimitBurst")?.at(-1) ?? "5");
    const now = performance.now();
    service.startTimes = service.startTimes.filter((t) => now - t < intervalMs);
    if (service.startTimes.length >= burst) {
      service.state = "failed";
      this.#host.log("systemd", `${service.name}: Start request repeated too quickly.`);
      this.#host.log("systemd", `${service.name}: Failed with result 'start-limit-hit'.`);
      return;
    }
    service.state = "activating";
    const delay = parseTimespan(first(config, "RestartSec") ?? "100ms", "RestartSec");
    this.#host.log("systemd", `${service.name}: Scheduled restart job in ${delay} ms.`);
    service.restartTimer = setTimeout(() => {
      service.restartTimer = undefined;
      service.restarts++;
      this.#launch(service).catch((error: unknown) => {
        service.state = "failed";
        this.#host.log("systemd", `${service.name}: restart failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    }, delay);
  }

  /** `systemctl stop`: KillSignal to the main process, SIGKILL to its process group after TimeoutStopSec. */
  async stop(name: string): Promise<void> {
    const service = this.#services.get(name);
    if (service === undefined) return;
    service.stopWanted = true;
    if (service.restartTimer !== undefined) {
      clearTimeout(service.restartTimer);
      service.restartTimer = undefined;
    }
    const child = service.child;
    if (child === undefined || child.pid === undefined) {
      service.state = service.state === "failed" ? "failed" : "inactive";
      return;
    }
    const config = await this.#config(name);
    const signal = (first(config, "KillSignal") ?? "SIGTERM") as NodeJS.Signals;
    const timeoutMs = parseTimespan(first(config, "TimeoutStopSec") ?? "90s", "TimeoutStopSec");
    service.state = "deactivating";
    this.#host.log("systemd", `Stopping ${name}...`);
    const pid = child.pid;
    const kill = (sig: NodeJS.Signals, group: boolean): void => {
      try {
        process.kill(group ? -pid : pid, sig);
      } catch {
        // exited already
      }
    };
    kill(signal, first(config, "KillMode") === "control-group");
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          this.#host.log("systemd", `${name}: State 'stop-sigterm' timed out. Killing.`);
          kill("SIGKILL", true);
        }, timeoutMs)
      : undefined;
    await service.exited;
    if (timer !== undefined) clearTimeout(timer);
    service.state = "inactive";
    this.#host.log("systemd", `Stopped ${name}.`);
  }

  /** Names of the services that match a glob such as `cachecluster@*.service` (every known one for none). */
  match(pattern: string | undefined): string[] {
    const names = [...this.#services.keys()];
    if (pattern === undefined) return names;
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    );
    return names.filter((n) => re.test(n));
  }

  status(name: string): ServiceStatus {
    const s = this.#services.get(name);
    return {
      name,
      state: s?.state ?? "inactive",
      pid: s?.child?.pid,
      starts: s?.starts ?? 0,
      restarts: s?.restarts ?? 0,
      lastExit: s?.lastExit,
    };
  }

  statuses(): ServiceStatus[] {
    return [...this.#services.keys()].map((n) => this.status(n));
  }

  /** The system is going down: stop every service (each with its own KillSignal and TimeoutStopSec). */
  async stopAll(): Promise<void> {
    await Promise.all(this.match(undefined).map((n) => this.stop(n)));
  }

  /** No more starts or restarts (the VM is powered off). */
  close(): void {
    this.#closed = true;
    for (const s of this.#services.values()) if (s.restartTimer !== undefined) clearTimeout(s.restartTimer);
  }
}
