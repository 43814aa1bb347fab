// Helpers shared by bench/stampede.mjs and bench/zipf.mjs (run.mjs skips files starting with "_").
import { execFileSync, fork, spawn } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** @type {(ms: number) => Promise<void>} */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP port free on 127.0.0.1 right now.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * User + system CPU of process `pid` so far (all its threads), in µs, from /proc/PID/stat (Linux; USER_HZ = 100,
 * so in steps of 10 ms). Throws where there is no such file.
 * @param {number | undefined} pid
 */
export function procCpuMicros(pid) {
  const { user, system } = procCounters(pid);
  return user + system;
}

/**
 * Counters of process `pid` so far (all its threads), from one read of /proc/PID/stat (Linux; throws where there
 * is no such file): user and system CPU in µs (as procCpuMicros), and page faults, minor (no disk read) and major.
 * @param {number | undefined} pid
 */
export function procCounters(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The fields after the command's name (which may hold spaces): [0] is the state (field 3).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    user: (Number(fields[11]) / 100) * 1e6, // utime
    system: (Number(fields[12]) / 100) * 1e6, // stime
    minorFaults: Number(fields[7]), // minflt
    majorFaults: Number(fields[9]), // majflt
  };
}

/**
 * Resident memory of process `pid` now, in bytes, from /proc/PID/status (Linux). Throws where there is none.
 * @param {number | undefined} pid
 */
export function procRssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * The redis-servers this process started that still run: killed when it exits, however it exits.
 * @type {Set<import("node:child_process").ChildProcess>}
 */
const redisServers = new Set();
let redisCleanup = false;

/** Kills the redis-servers still running on exit, and turns SIGINT / SIGTERM into an exit (which Node skips). */
function killRedisOnExit() {
  if (redisCleanup) return;
  redisCleanup = true;
  process.once("exit", () => {
    for (const proc of redisServers) proc.kill("SIGKILL");
  });
  for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.once(signal, () => process.exit(128 + (signal === "SIGINT" ? 2 : 15)));
}

/** Starts redis-server on loopback, free port, no persistence. Returns { port, version, stop }. */
export async function startRedis() {
  let version;
  try {
    version = execFileSync("redis-server", ["--version"], { encoding: "utf8" }).trim();
  } catch (error) {
    throw new Error(`redis-server is not installed (Debian package redis-server; run scripts/setup.sh): ${/** @type {Error} */ (error).message}`);
  }
  const port = await freePort();
  const proc = spawn(
    "redis-server",
    [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "yes",
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  killRedisOnExit();
  redisServers.add(proc);
  proc.once("exit", () => redisServers.delete(proc));
  let output = "";
  proc.stdout.on("data", (c) => (output += c));
  proc.stderr.on("data", (c) => (output += c));
  const { Redis } = await import("ioredis");
  const deadline = performance.now() + 10_000;
  for (;;) {
    const probe = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // Refused connections while redis-server starts are expected: the loop retries.
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      await probe.quit();
      break;
    } catch {
      probe.disconnect();
      if (performance.now() > deadline || proc.exitCode !== null) throw new Error(`redis-server did not start:\n${output}`);
      await sleep(100);
    }
  }
  return {
    port,
    pid: proc.pid,
    version: version.replace(/^Redis server v=(\S+).*$/, "$1"),
    async flush() {
      const c = new Redis({ host: "127.0.0.1", port });
      await c.flushall();
      await c.quit();
    },
    stop: () => {
      proc.kill("SIGKILL");
    },
  };
}

/**
 * An app node's config (BENCH_NODE): see bench/_app-node.mjs.
 * @typedef {{ mode: "cachecluster" | "redis" | "map", cachePort?: number, peers?: string[], redisPort?: number, appPort?: number,
 *   valueSize?: number, backendDelayMs?: number, maxBytes?: number, hot?: boolean, stream?: boolean,
 *   stalls?: boolean }} AppNodeConfig
 */
/**
 * A command to an app node and its answer (IPC); `id` pairs them. `pages`, `warm`: see bench/_app-node.mjs.
 * @typedef {{ cmd: "stampede", key: string, n: number } | { cmd: "pages", prefix: string, size: number, rounds: number, warm: boolean }
 *   | { cmd: "warm", keys: number, s: number, reads: number, concurrency: number } | { cmd: "stats", reset?: boolean } | { cmd: "profile", start: true } | { cmd: "profile", start: false, file: string }
 *   | { cmd: "loads" | "close" }} AppNodeCommand
 * @typedef {{ id: number, [field: string]: any }} AppNodeReply
 * @typedef {{ child: import("node:child_process").ChildProcess, app: string, request: (cmd: AppNodeCommand) => Promise<AppNodeReply> }} AppNode
 * @typedef {{ execArgv?: string[], cwd?: string }} NodeSpawn
 */

/**
 * Forks one bench/_app-node.mjs with its config; resolves with { child, app, request(cmd) }.
 * BENCH_NODE_ARGS (space-separated) are node options for the app nodes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof";
 * `node.execArgv` adds to them, and `node.cwd` is where the node runs (where V8 writes --perf-prof's jitdump).
 * @param {AppNodeConfig} config
 * @param {NodeSpawn} [node]
 * @returns {Promise<AppNode>}
 */
export function startAppNode(config, node = {}) {
  const execArgv = [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter((a) => a !== ""), ...(node.execArgv ?? [])];
  const child = fork(join(here, "_app-node.mjs"), [], {
    env: { ...process.env, BENCH_NODE: JSON.stringify(config) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv,
    ...(node.cwd === undefined ? {} : { cwd: node.cwd }),
  });
  let nextId = 1;
  /** @type {Map<number, (reply: AppNodeReply) => void>} */
  const waiting = new Map();
  child.on("message", (/** @type {AppNodeReply} */ m) => {
    const w = waiting.get(m.id);
    if (w !== undefined) {
      waiting.delete(m.id);
      w(m);
    }
  });
  /** @type {AppNode["request"]} */
  const request = (cmd) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`no answer to ${cmd.cmd}`)), 60_000);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.send({ ...cmd, id });
    });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`app node exited with ${code} before it was ready`)));
    waiting.set(0, (m) => resolve({ child, app: m.app, request }));
  });
}

/**
 * Starts `n` app nodes of one mode; cachecluster nodes get free cache ports and the full peer list.
 * @param {AppNodeConfig["mode"]} mode
 * @param {number} n
 * @param {Partial<AppNodeConfig>} [extra]
 * @param {NodeSpawn} [spawnAs]
 */
export async function startCluster(mode, n, extra = {}, spawnAs = {}) {
  const cachePorts = await Promise.all(Array.from({ length: n }, () => freePort()));
  const peers = cachePorts.map((p) => `http://127.0.0.1:${p}`);
  const nodes = await Promise.all(cachePorts.map((cachePort) => startAppNode({ mode, cachePort, peers, ...extra }, spawnAs)));
  const exited = nodes.map((node) => new Promise((resolve) => node.child.once("exit", resolve)));
  return {
    nodes,
    /** Resolves when every node has exited. */
    stop: () => {
      // Under node options (e.g. --cpu-prof, --perf-prof) a node must exit normally to write its profile: it
      // exits when its IPC channel closes.
      for (const node of nodes) {
        if (process.env.BENCH_NODE_ARGS || (spawnAs.execArgv ?? []).length > 0) node.child.disconnect();
        else node.child.kill("SIGKILL");
      }
      return Promise.all(exited);
    },
  };
}

/** @type {(xs: readonly number[]) => number} */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const at = (/** @type {number} */ i) => s[i] ?? Number.NaN;
  return s.length % 2 ? at((s.length - 1) / 2) : (at(s.length / 2 - 1) + at(s.length / 2)) / 2;
};

/** @type {(xs: readonly number[], p: number) => number} */
export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] ?? Number.NaN;
};

/** @type {(n: number, d?: number) => string} */
export const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }) : "-");

/**
 * "median (min–max)" of a series.
 * @type {(xs: readonly number[], d?: number) => string}
 */
export const spread = (xs, d = 0) => `${fmt(median(xs), d)} (${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)})`;

/**
 * The value after `--name` on the command line, else `fallback`.
 * @template {string | undefined} F
 * @param {string} name
 * @param {F} fallback
 * @returns {string | F}
 */
export function arg(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? args[i + 1] : undefined;
  return value !== undefined ? value : fallback;
}

/**
 * Adds rows to the closing summary that `pnpm bench` (bench/run.mjs) prints after every script has run: one
 * headline figure per row, cachecluster's next to the reference measured in the same run. A script run on its
 * own prints only its own tables (no BENCH_SUMMARY_FILE).
 * Row: { bench, figure, cachecluster, reference, ratio, goal } (strings; "-" where none).
 * @param {...{ bench: string, figure: string, cachecluster: string, reference: string, ratio: string, goal: string }} rows
 */
export function summarize(...rows) {
  const file = process.env.BENCH_SUMMARY_FILE;
  if (file === undefined || file === "") return;
  appendFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
}
