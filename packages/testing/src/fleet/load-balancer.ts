import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { FleetError } from "./errors.js";
import type { AgentCommand, AgentReply, BackendCounts, LoadOptions, LoadReport, LoadTarget, ProbeResult } from "./lb-protocol.js";

const AGENT = fileURLToPath(new URL("./lb-agent.js", import.meta.url));

type Distribute<T> = T extends unknown ? Omit<T, "id"> : never;

/**
 * The simulator's handle on its load-balancer agent (lb-agent.ts), a process inside the `lb` namespace: the
 * backend the app's loader reads, the read load through the VMs, and HTTP probes (health checks, status pages).
 */
export class LoadBalancer {
  readonly address: string;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;
  #output = "";
  #exited = false;

  private constructor(ns: string, address: string) {
    this.address = address;
    this.#child = fork(AGENT, [], {
      execPath: "ip",
      execArgv: ["netns", "exec", ns, process.execPath],
      env: { ...process.env, LB_AGENT_ADDRESS: address },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString()).slice(-10_000);
    };
    this.#child.stdout?.on("data", keep);
    this.#child.stderr?.on("data", keep);
    this.#child.on("message", (reply: AgentReply) => {
      const waiting = this.#pending.get(reply.id);
      if (waiting === undefined) return;
      this.#pending.delete(reply.id);
      clearTimeout(waiting.timer);
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(new FleetError(`load balancer: ${reply.error}`));
    });
    this.#child.on("error", (error) => {
      this.#output += `\n${error.message}`;
    });
    this.#child.on("exit", (code, signal) => {
      this.#exited = true;
      for (const [, waiting] of this.#pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new FleetError(`the load balancer exited (code ${code}, signal ${signal}): ${this.#output}`));
      }
      this.#pending.clear();
    });
  }

  /** Starts the agent in namespace `ns` (whose address is `address`) and waits until it answers. */
  static async start(ns: string, address: string): Promise<LoadBalancer> {
    const lb = new LoadBalancer(ns, address);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new FleetError(`the load balancer did not start within 20 s: ${lb.#output}`)), 20_000);
      lb.#pending.set(0, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject,
        timer,
      });
    });
    return lb;
  }

  #request<T>(command: Distribute<AgentCommand>, timeoutMs = 15_000): Promise<T> {
    if (this.#exited) return Promise.reject(new FleetError(`the load balancer has exited: ${this.#output}`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new FleetError(`load balancer: no answer to ${command.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#child.send({ ...command, id }, (error) => {
        if (error === null) return;
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new FleetError(`load balancer: cannot send ${command.cmd}: ${error.message}`));
      });
    });
  }

  /** Starts the backend on `address:port`: each `/render?key=K` waits `delayMs` and answers K's value. */
  startBackend(port: number, delayMs: number, valueBytes: number): Promise<void> {
    return this.#request({ cmd: "backend", port, delayMs, valueBytes });
  }

  backendCounts(): Promise<BackendCounts> {
    return this.#request({ cmd: "backend-counts" });
  }

  /** Where the load goes from now on (the instances in service). */
  setTargets(targets: readonly LoadTarget[]): Promise<void> {
    return this.#request({ cmd: "targets", targets });
  }

  startLoad(options: LoadOptions, phase: string): Promise<void> {
    return this.#request({ cmd: "load-start", options, phase });
  }

  /** Starts a new phase of the running load (its gets are reported apart). */
  phase(name: string): Promise<void> {
    return this.#request({ cmd: "phase", phase: name });
  }

  stopLoad(): Promise<LoadReport> {
    return this.#request({ cmd: "load-stop" }, 60_000);
  }

  /** One GET per URL, each on a fresh connection with its own deadline; `from`: the source address to use. */
  probe(urls: readonly string[], timeoutMs: number, from?: string): Promise<ProbeResult[]> {
    return this.#request({ cmd: "probe", urls, timeoutMs, from }, timeoutMs + 10_000);
  }

  close(): void {
    if (!this.#exited) this.#child.kill("SIGKILL");
  }
}
