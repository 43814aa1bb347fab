// Starts fault-node.ts processes and talks to them over IPC. Every node is killed by `closeAll()`; the
// process-exit hook kills whatever a crashed test left behind.
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LoadReport, NodeCommand, NodeConfig, NodeReply, NodeSnapshot } from "./protocol.js";

const here = dirname(fileURLToPath(import.meta.url));
const NODE_SCRIPT = join(here, "fault-node.js");
const REQUEST_TIMEOUT_MS = 10_000;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passed; returns whether it did. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 200): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * A loopback prefix private to this test file and run: `127.<fileId>.<pid % 250>.` — every node gets its own
 * address, so nodes can share port numbers (like a fleet) without colliding with other test files.
 */
export function loopbackPrefix(fileId: number): string {
  if (!(fileId >= 100 && fileId <= 254)) throw new Error(`expected a file id from 100 to 254, got ${fileId}`);
  return `127.${fileId}.${process.pid % 250}.`;
}

type Distribute<T> = T extends unknown ? Omit<T, "id"> : never;

export class FaultNode {
  readonly config: NodeConfig;
  readonly child: ChildProcess;
  output = "";
  exited = false;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;
  readonly ready: Promise<void>;

  constructor(config: NodeConfig, netns?: string) {
    this.config = config;
    const env = { ...process.env, FAULT_NODE_CONFIG: JSON.stringify(config) };
    this.child =
      netns === undefined
        ? fork(NODE_SCRIPT, [], { env, stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: [] })
        : // `ip netns exec` execs node in place: the pid and the IPC channel stay those of the node process.
          fork(NODE_SCRIPT, [], { env, stdio: ["ignore", "pipe", "pipe", "ipc"], execPath: "ip", execArgv: ["netns", "exec", netns, process.execPath] });
    live.add(this);
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${config.name} was not ready within 20 s:\n${this.output}`)), 20_000);
      this.#pending.set(0, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        timer,
      });
    });
    this.child.on("message", (m: NodeReply) => {
      const waiting = this.#pending.get(m.id);
      if (waiting === undefined) return;
      this.#pending.delete(m.id);
      clearTimeout(waiting.timer);
      if (m.ok) waiting.resolve(m.value);
      else waiting.reject(new Error(`${config.name}: ${m.error}`));
    });
    this.child.on("exit", (code, signal) => {
      this.exited = true;
      this.exitCode = code;
      this.exitSignal = signal;
      live.delete(this);
      for (const [, waiting] of this.#pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error(`${config.name} exited (code ${code}, signal ${signal}):\n${this.output}`));
      }
      this.#pending.clear();
    });
  }

  get name(): string {
    return this.config.name;
  }

  get cacheUrl(): string {
    return `http://${this.config.ip}:${this.config.cachePort}`;
  }

  request<T>(command: Distribute<NodeCommand>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${command.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ ...command, id });
    });
  }

  snapshot(): Promise<NodeSnapshot> {
    return this.request<NodeSnapshot>({ cmd: "snapshot" });
  }

  startLoad(keys: number, concurrency: number, prefix: string): Promise<void> {
    return this.request({ cmd: "load-start", keys, concurrency, prefix });
  }

  stopLoad(): Promise<LoadReport> {
    return this.request<LoadReport>({ cmd: "load-stop" }, 30_000);
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** SIGKILL, and wait for the exit (at most 5 s). */
  async destroy(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGKILL");
    await Promise.race([gone, sleep(5000)]);
  }
}

const live = new Set<FaultNode>();
process.on("exit", () => {
  for (const node of live) node.child.kill("SIGKILL");
});

/** Starts nodes and waits until each is listening. */
export async function startNodes(configs: readonly NodeConfig[], netns?: (config: NodeConfig, index: number) => string): Promise<FaultNode[]> {
  const nodes = configs.map((c, i) => new FaultNode(c, netns?.(c, i)));
  try {
    await Promise.all(nodes.map((n) => n.ready));
  } catch (error) {
    await Promise.all(nodes.map((n) => n.destroy()));
    throw error;
  }
  return nodes;
}

export async function destroyAll(nodes: readonly FaultNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.destroy()));
}

/** Alive member names as each node sees them (sorted), for assertion messages. */
export async function views(nodes: readonly FaultNode[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const node of nodes) {
    if (node.exited) continue;
    try {
      const s = await node.snapshot();
      out[node.name] = [
        ...s.members.map((m) => `${m.id}:${m.state}`).sort(),
        `discovered=${s.discoveredPeers.length}`,
        `discovery=${JSON.stringify(s.discovery)}`,
        `swim=${JSON.stringify({ pushPulls: s.swim.pushPulls, pushPullFailures: s.swim.pushPullFailures, packetsReceived: s.swim.packetsReceived, packetsDropped: s.swim.packetsDropped, decodeErrors: s.swim.decodeErrors })}`,
      ];
    } catch (error) {
      out[node.name] = [`(no answer: ${error instanceof Error ? error.message : String(error)})`];
    }
  }
  return out;
}

/** True when every node in `nodes` sees exactly `expected` (by name) as alive members, and all rings match. */
export async function converged(nodes: readonly FaultNode[], expected: readonly string[]): Promise<boolean> {
  const want = [...expected].sort().join(",");
  const snaps = await Promise.all(nodes.map((n) => n.snapshot().catch(() => undefined)));
  if (snaps.some((s) => s === undefined)) return false;
  const rings = new Set<string>();
  for (const s of snaps) {
    const alive = s!.members
      .filter((m) => m.state === "alive")
      .map((m) => m.id)
      .sort()
      .join(",");
    if (alive !== want) return false;
    rings.add(s!.ring.join(","));
  }
  return rings.size === 1;
}

/** Summed load reports. */
export function totalLoad(reports: readonly LoadReport[]): LoadReport {
  return reports.reduce<LoadReport>(
    (a, r) => ({
      ok: a.ok + r.ok,
      failed: a.failed + r.failed,
      wrong: a.wrong + r.wrong,
      failures: [...a.failures, ...r.failures],
      maxMs: Math.max(a.maxMs, r.maxMs),
    }),
    { ok: 0, failed: 0, wrong: 0, failures: [], maxMs: 0 },
  );
}
