// The fleet's load balancer, health checker and backend: a process inside the `lb` namespace (the stand-in for
// Google's front ends and for the database the app's loader reads), driven by the simulator over IPC.
//  - backend: `GET /render?key=K` answers the key's value after a delay and counts loads per key;
//  - load: a steady zipf read load (`GET /get?key=K`) at a fixed rate, round-robin over the current targets,
//    every answer checked, bounded in count and time; latencies and failures reported per phase;
//  - probe: one GET per URL on a fresh connection (health checks, status pages).
import { type IncomingMessage, Agent, createServer, request } from "node:http";
import {
  WARM_UP,
  backendValue,
  type AgentCommand,
  type AgentReply,
  type LoadFailure,
  type LoadOptions,
  type LoadReport,
  type LoadTarget,
  type PhaseReport,
} from "./lb-protocol.js";
import { seededRandom } from "../memory-network/random.js";
import { Zipf, quantile } from "./zipf.js";

const host = process.env.LB_AGENT_ADDRESS ?? "0.0.0.0";

// ---- backend --------------------------------------------------------------------------------------------

const loadsPerKey = new Map<string, number>();

function startBackend(port: number, delayMs: number, valueBytes: number): Promise<void> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://backend");
    const key = url.searchParams.get("key");
    if (url.pathname !== "/render" || key === null) {
      res.writeHead(404).end("not found\n");
      return;
    }
    loadsPerKey.set(key, (loadsPerKey.get(key) ?? 0) + 1);
    setTimeout(() => {
      const body = backendValue(key, valueBytes);
      res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) }).end(body);
    }, delayMs);
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
}

// ---- load -----------------------------------------------------------------------------------------------

interface Phase {
  readonly name: string;
  startedAt: number;
  endedAt: number;
  gets: number;
  ok: number;
  failed: number;
  skipped: number;
  readonly latencies: number[];
  readonly failures: LoadFailure[];
  firstFailureAt: number | null;
  lastFailureAt: number | null;
}

function newPhase(name: string): Phase {
  return {
    name,
    startedAt: performance.now(),
    endedAt: 0,
    gets: 0,
    ok: 0,
    failed: 0,
    skipped: 0,
    latencies: [],
    failures: [],
    firstFailureAt: null,
    lastFailureAt: null,
  };
}

function phaseReport(p: Phase): PhaseReport {
  const sorted = [...p.latencies].sort((a, b) => a - b);
  return {
    phase: p.name,
    durationMs: Math.round((p.endedAt || performance.now()) - p.startedAt),
    gets: p.gets,
    ok: p.ok,
    failed: p.failed,
    skipped: p.skipped,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? NaN,
    failures: p.failures,
    firstFailureAt: p.firstFailureAt,
    lastFailureAt: p.lastFailureAt,
  };
}

let targets: readonly LoadTarget[] = [];

class Load {
  readonly phases: Phase[] = [];
  readonly #options: LoadOptions;
  readonly #zipf: Zipf;
  readonly #random: () => number;
  readonly #agent: Agent;
  readonly #startedAt = performance.now();
  readonly #timer: NodeJS.Timeout;
  #credit = 0;
  #last = performance.now();
  #inFlight = 0;
  #sent = 0;
  #next = 0;
  #ended: LoadReport["endedBy"] | undefined;
  readonly #drained: Promise<void>;
  #drain: () => void = () => {};

  constructor(options: LoadOptions, phase: string) {
    this.#options = options;
    this.#zipf = new Zipf(options.keys, options.zipfS);
    this.#random = seededRandom(options.seed);
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, timeout: options.timeoutMs });
    this.phases.push(newPhase(phase));
    this.#drained = new Promise((resolve) => (this.#drain = resolve));
    this.#timer = setInterval(() => this.#tick(), 5);
  }

  get current(): Phase {
    return this.phases.at(-1)!;
  }

  mark(phase: string): void {
    this.current.endedAt = performance.now();
    this.phases.push(newPhase(phase));
  }

  #tick(): void {
    const now = performance.now();
    if (this.#sent >= this.#options.maxGets) return this.#end("max-gets");
    if (now - this.#startedAt >= this.#options.maxMs) return this.#end("max-ms");
    // A stalled event loop does not turn into a burst: at most 50 ms worth of gets are made up.
    this.#credit = Math.min(this.#credit + ((now - this.#last) * this.#options.rate) / 1000, Math.max(1, this.#options.rate / 20));
    this.#last = now;
    while (this.#credit >= 1 && this.#sent < this.#options.maxGets) {
      this.#credit -= 1;
      if (targets.length === 0 || this.#inFlight >= this.#options.concurrency) {
        this.current.skipped++;
        continue;
      }
      const target = targets[this.#next++ % targets.length]!;
      this.#get(target, `k${this.#zipf.draw(this.#random())}`);
    }
  }

  #get(target: LoadTarget, key: string): void {
    const phase = this.current;
    const started = performance.now();
    this.#inFlight++;
    this.#sent++;
    phase.gets++;
    const done = (error: string | undefined): void => {
      this.#inFlight--;
      const ms = performance.now() - started;
      if (error === undefined) {
        phase.ok++;
        phase.latencies.push(ms);
      } else {
        phase.failed++;
        const at = Math.round(started - phase.startedAt);
        phase.firstFailureAt ??= at;
        phase.lastFailureAt = at;
        if (phase.failures.length < 20) phase.failures.push({ at, target: target.name, key, error });
      }
      if (this.#ended !== undefined && this.#inFlight === 0) this.#drain();
    };
    const req = request(
      `${target.url}/get?key=${encodeURIComponent(key)}`,
      { agent: this.#agent, timeout: this.#options.timeoutMs },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (e) => done(`response: ${e.message}`));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) done(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
          else if (body !== backendValue(key, this.#options.valueBytes)) done(`wrong value: ${JSON.stringify(body.slice(0, 60))}`);
          else done(undefined);
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${this.#options.timeoutMs} ms`)));
    req.on("error", (e: NodeJS.ErrnoException) => done(e.code === undefined ? e.message : `${e.code} ${e.message}`));
    req.end();
  }

  #end(why: LoadReport["endedBy"]): void {
    if (this.#ended !== undefined) return;
    this.#ended = why;
    clearInterval(this.#timer);
    this.current.endedAt = performance.now();
    if (this.#inFlight === 0) this.#drain();
  }

  async stop(): Promise<LoadReport> {
    this.#end("stopped");
    await this.#drained;
    this.#agent.destroy();
    const total = newPhase("total");
    for (const p of this.phases) {
      total.gets += p.gets;
      total.ok += p.ok;
      total.failed += p.failed;
      total.skipped += p.skipped;
      if (!p.name.startsWith(WARM_UP)) for (const ms of p.latencies) total.latencies.push(ms);
      for (const f of p.failures) if (total.failures.length < 20) total.failures.push({ ...f, at: Math.round(f.at + p.startedAt - this.phases[0]!.startedAt) });
    }
    const first = this.phases[0]!;
    const failed = this.phases.filter((p) => p.firstFailureAt !== null);
    Object.assign(total, {
      startedAt: first.startedAt,
      endedAt: this.current.endedAt,
      firstFailureAt: failed.length === 0 ? null : Math.round(failed[0]!.startedAt - first.startedAt + failed[0]!.firstFailureAt!),
      lastFailureAt: failed.length === 0 ? null : Math.round(failed.at(-1)!.startedAt - first.startedAt + failed.at(-1)!.lastFailureAt!),
    });
    return { phases: this.phases.map(phaseReport), total: phaseReport(total), endedBy: this.#ended ?? "stopped" };
  }
}

let load: Load | undefined;

// ---- probes ---------------------------------------------------------------------------------------------

function probe(
  url: string,
  timeoutMs: number,
  from: string | undefined,
): Promise<{ url: string; status: number; body: string; error: string | null; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (status: number, body: string, error: string | null): void =>
      resolve({ url, status, body, error, ms: Math.round(performance.now() - started) });
    const req = request(
      url,
      { agent: false, timeout: timeoutMs, headers: { connection: "close" }, ...(from === undefined ? {} : { localAddress: from }) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= 1 << 20) chunks.push(c);
        });
        res.on("error", (e) => finish(0, "", e.message));
        res.on("end", () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString(), null));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (e: NodeJS.ErrnoException) => finish(0, "", e.code ?? e.message));
    req.end();
  });
}

// ---- IPC ------------------------------------------------------------------------------------------------

async function handle(command: AgentCommand): Promise<unknown> {
  switch (command.cmd) {
    case "backend":
      await startBackend(command.port, command.delayMs, command.valueBytes);
      return null;
    case "backend-counts": {
      let loads = 0;
      for (const n of loadsPerKey.values()) loads += n;
      return { keys: loadsPerKey.size, loads };
    }
    case "targets":
      targets = command.targets;
      return null;
    case "load-start":
      if (load !== undefined) throw new Error("a load is running already");
      load = new Load(command.options, command.phase);
      return null;
    case "phase":
      if (load === undefined) throw new Error("no load is running");
      load.mark(command.phase);
      return null;
    case "load-stop": {
      const running = load;
      if (running === undefined) throw new Error("no load is running");
      load = undefined;
      return running.stop();
    }
    case "probe":
      return Promise.all(command.urls.map((u) => probe(u, command.timeoutMs, command.from)));
  }
}

process.on("message", (command: AgentCommand) => {
  handle(command).then(
    (value) => process.send?.({ id: command.id, ok: true, value } satisfies AgentReply),
    (error: unknown) => process.send?.({ id: command.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies AgentReply),
  );
});
process.on("disconnect", () => process.exit(0));
process.send?.({ id: 0, ok: true, value: "ready" } satisfies AgentReply);
