// The cachecluster demo: a live local cluster on loopback, assembled from the real plugins.
// Starts a fake GCE, launches node processes on 127.0.0.11, .12, ... (one "VM" each, same ports on
// every node, like a real fleet), drives a read workload, scales up by one instance, SIGKILLs a node,
// and prints what happened.   node examples/dist/demo/main.js [--nodes 4] [--phase-seconds 6] [--keep]
import { type ChildProcess, fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FakeGce } from "@cachecluster/testing/fake-gce";
import { Latencies, runWorkload } from "./workload.js";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "4" },
    keys: { type: "string", default: "400" },
    concurrency: { type: "string", default: "24" },
    "phase-seconds": { type: "string", default: "6" },
    "cache-port": { type: "string", default: "19080" },
    "admin-port": { type: "string", default: "19081" },
    "cluster-port": { type: "string", default: "19946" },
    "app-port": { type: "string", default: "18080" },
    keep: { type: "boolean", default: false },
    json: { type: "string" },
  },
});
const NODES = Number(values.nodes);
const PHASE_MS = Number(values["phase-seconds"]) * 1000;
const here = dirname(fileURLToPath(import.meta.url));
const t0 = performance.now();
const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
const log = (line: string): void => console.log(`${elapsed()}  ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface NodeStats {
  name: string;
  renders: [string, number][];
  members: { id: string; state: string; cacheUrl: string }[];
  shares: [string, number][];
  stats: Record<string, number>;
  main: { bytes: number; items: number };
  hot: { bytes: number; items: number };
}

interface DemoNode {
  readonly name: string;
  readonly ip: string;
  readonly app: string;
  readonly child: ChildProcess;
  output: string;
  alive: boolean;
  /** Receiving requests from the load generator. */
  serving: boolean;
  last?: NodeStats;
  waiting?: { id: number; resolve: () => void };
}

const fake = await FakeGce.start({ project: "demo-project", zones: ["us-central1-a"] });
const nodes: DemoNode[] = [];
let nextIp = 11;
let statsId = 0;

function launch(): Promise<DemoNode> {
  const name = `demo-${nodes.length + 1}`;
  const ip = `127.0.0.${nextIp++}`;
  fake.addInstance({ name, ip, zone: "us-central1-a", tags: ["cachecluster-demo"], labels: { app: "reports" } });
  const child = fork(
    join(here, "node.js"),
    [
      "--name",
      name,
      "--ip",
      ip,
      "--cache-port",
      values["cache-port"],
      "--admin-port",
      values["admin-port"],
      "--cluster-port",
      values["cluster-port"],
      "--app-port",
      values["app-port"],
      "--compute-port",
      String(fake.port),
    ],
    { env: { ...process.env, ...fake.env() }, stdio: ["ignore", "pipe", "pipe", "ipc"] },
  );
  const node: DemoNode = { name, ip, app: `http://${ip}:${values["app-port"]}`, child, output: "", alive: true, serving: false };
  const keep = (chunk: Buffer): void => {
    node.output = (node.output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("message", (m: { type: string; id?: number } & Partial<NodeStats>) => {
    if (m.type !== "stats") return;
    node.last = m as NodeStats;
    if (node.waiting !== undefined && node.waiting.id === m.id) node.waiting.resolve();
  });
  nodes.push(node);
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }): void => {
      if (m.type === "ready") {
        child.off("exit", onExit);
        resolve(node);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`${name} exited with ${code} before it was ready:\n${node.output}`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/** Asks every live node for its stats (answers land in `node.last`); waits up to 1 s. */
async function collect(): Promise<void> {
  const id = ++statsId;
  await Promise.all(
    nodes
      .filter((n) => n.alive)
      .map((n) => {
        n.child.send({ cmd: "stats", id });
        return Promise.race([sleep(1000), new Promise<void>((resolve) => (n.waiting = { id, resolve }))]);
      }),
  );
}

const aliveCount = (n: DemoNode): number => n.last?.members.filter((m) => m.state === "alive").length ?? 0;
const membersLine = (): string => nodes.map((n) => `${n.name}:${n.alive ? aliveCount(n) : "✝"}`).join("  ");

async function waitForMembers(expected: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let lastLine = "";
  while (performance.now() < deadline) {
    await collect();
    const line = membersLine();
    if (line !== lastLine) log(`members seen per node  ${line}`);
    lastLine = line;
    if (nodes.filter((n) => n.alive).every((n) => aliveCount(n) === expected)) return true;
    await sleep(250);
  }
  return false;
}

interface Phase {
  readonly name: string;
  readonly latencies: Latencies;
  rendersBefore: Map<string, number>;
  rendersAfter: Map<string, number>;
}

function totalRenders(): Map<string, number> {
  const total = new Map<string, number>();
  for (const n of nodes) for (const [k, c] of n.last?.renders ?? []) total.set(k, (total.get(k) ?? 0) + c);
  return total;
}

const phases: Phase[] = [];
let current: Latencies = new Latencies();
function beginPhase(name: string): Phase {
  current = new Latencies();
  const phase: Phase = { name, latencies: current, rendersBefore: totalRenders(), rendersAfter: new Map() };
  phases.push(phase);
  log(`── ${name}`);
  return phase;
}

async function runFor(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await sleep(1000);
    await collect();
    const hits = nodes.filter((n) => n.alive).map((n) => n.last?.stats ?? {});
    const gets = hits.reduce((a, s) => a + (s.gets ?? 0), 0);
    const cacheHits = hits.reduce((a, s) => a + (s.cacheHits ?? 0), 0);
    log(
      `members ${membersLine()}   requests ${current.ok} ok / ${current.failed} failed   cluster hit ratio ${gets ? ((100 * cacheHits) / gets).toFixed(1) : "-"}%`,
    );
  }
}

let stopWorkload = new AbortController();
const cleanup = (): void => {
  for (const n of nodes) if (n.alive && n.child.exitCode === null) n.child.kill("SIGKILL");
};
process.on("exit", cleanup);
// A signal to this process stops the node processes too: each gets SIGTERM (it leaves the cluster and
// exits), and whatever still runs after 3 s gets SIGKILL from the exit handler.
let stopping = false;
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(code);
    stopping = true;
    log(`${signal}: stopping the node processes`);
    const running = nodes.filter((n) => n.alive && n.child.exitCode === null);
    for (const n of running) n.child.kill("SIGTERM");
    const exits = running.map((n) => new Promise((resolve) => (n.child.exitCode === null ? n.child.once("exit", resolve) : resolve(null))));
    void Promise.race([Promise.all(exits), sleep(3000)]).then(() => process.exit(code));
  });
}

try {
  log(`fake GCE on ${fake.url} (project demo-project, zone us-central1-a)`);
  log(
    `starting ${NODES} nodes on 127.0.0.11..${10 + NODES}: cache :${values["cache-port"]}, admin :${values["admin-port"]}, SWIM :${values["cluster-port"]}, app :${values["app-port"]}`,
  );
  await Promise.all(Array.from({ length: NODES }, () => launch()));
  for (const n of nodes) log(`${n.name} up: status http://${n.ip}:${values["admin-port"]}/_cachecluster/status`);
  // A node is up before its discovery has loaded the Google client (in a worker thread, in the background): forming
  // takes that load, ~2 s of CPU per node, tens of seconds on a loaded machine.
  if (!(await waitForMembers(NODES, 60_000))) throw new Error("the cluster did not form within 60 s");
  log(`cluster formed: every node sees ${NODES} alive members`);
  for (const n of nodes) n.serving = true;

  const workload = runWorkload({
    keys: Number(values.keys),
    concurrency: Number(values.concurrency),
    targets: () => nodes.filter((n) => n.serving).map((n) => n.app),
    signal: stopWorkload.signal,
    sink: () => current,
  });

  let phase = beginPhase(`steady state: ${NODES} nodes, zipf reads over ${values.keys} reports`);
  await runFor(PHASE_MS);
  phase.rendersAfter = totalRenders();

  phase = beginPhase(`scale up: the fake GCE gets instance demo-${NODES + 1}, its process starts and joins`);
  const added = await launch();
  log(`${added.name} started; others find it through GCE discovery, then SWIM`);
  const joined = await waitForMembers(NODES + 1, 60_000);
  log(joined ? `every node sees ${NODES + 1} alive members` : "the new node was not seen by every node within 60 s");
  added.serving = true;
  await runFor(PHASE_MS);
  phase.rendersAfter = totalRenders();

  const victim = nodes[1]!;
  phase = beginPhase(`failure: ${victim.name} is killed with SIGKILL (its VM stays RUNNING in GCE)`);
  victim.serving = false; // the load balancer stops sending to it; requests through the others go on
  await sleep(200);
  const killedAt = performance.now();
  victim.child.kill("SIGKILL");
  victim.alive = false;
  log(`${victim.name} killed`);
  const detected = await waitForMembers(NODES, 30_000);
  log(
    detected
      ? `every survivor dropped ${victim.name} after ${((performance.now() - killedAt) / 1000).toFixed(1)} s`
      : `${victim.name} was not dropped by every survivor within 30 s`,
  );
  await runFor(PHASE_MS);
  phase.rendersAfter = totalRenders();

  stopWorkload.abort();
  await workload;
  await collect();

  // ── summary ──
  console.log("\n═══ summary ═══");
  const rows: Record<string, Record<string, string | number>> = {};
  for (const p of phases) {
    const before = p.rendersBefore;
    let keys = 0;
    let renders = 0;
    let max = 0;
    for (const [k, c] of p.rendersAfter) {
      const d = c - (before.get(k) ?? 0);
      if (d > 0) {
        keys++;
        renders += d;
        max = Math.max(max, d);
      }
    }
    rows[p.name.split(":")[0]!] = {
      "requests ok": p.latencies.ok,
      failed: p.latencies.failed,
      "p50 ms": +p.latencies.percentile(50).toFixed(1),
      "p99 ms": +p.latencies.percentile(99).toFixed(1),
      "keys rendered": keys,
      renders,
      "renders per key": keys ? +(renders / keys).toFixed(2) : 0,
      "max per key": max,
    };
  }
  console.log("per phase (renders = loader calls in the whole cluster during the phase):");
  console.table(rows);
  const byNode: Record<string, Record<string, string | number>> = {};
  const shares = new Map(nodes.find((n) => n.alive)?.last?.shares ?? []);
  for (const n of nodes) {
    const s = n.last?.stats ?? {};
    const url = `http://${n.ip}:${values["cache-port"]}`;
    byNode[n.name] = {
      state: n.alive ? "alive" : "killed",
      "ring share %": shares.has(url) ? +((shares.get(url) ?? 0) * 100).toFixed(1) : "-",
      gets: s.gets ?? 0,
      "hit ratio %": s.gets ? +((100 * (s.cacheHits ?? 0)) / s.gets).toFixed(1) : 0,
      "peer loads": s.peerLoads ?? 0,
      "peer errors": s.peerErrors ?? 0,
      "local loads": s.localLoads ?? 0,
      "served to peers": s.serverRequests ?? 0,
      "main items": n.last?.main.items ?? 0,
      "hot items": n.last?.hot.items ?? 0,
    };
  }
  console.log("per node (killed node: its last report):");
  console.table(byNode);
  const failed = phases.reduce((a, p) => a + p.latencies.failed, 0);
  const steady = rows[phases[0]!.name.split(":")[0]!];
  console.log(
    `\n${failed === 0 ? "✔" : "✖"} ${failed} failed requests   ${steady?.["renders per key"] === 1 ? "✔" : "✖"} steady state: ${String(steady?.["renders per key"])} render per key   ${joined ? "✔" : "✖"} scale-up joined   ${detected ? "✔" : "✖"} kill detected`,
  );
  for (const p of phases) for (const f of p.latencies.failures) console.log(`  failure in "${p.name}": ${f}`);
  if (values.json !== undefined) {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(values.json, JSON.stringify({ phases: rows, nodes: byNode, failed, joined, detected }, null, 2));
  }
  if (values.keep) {
    log("--keep: the cluster keeps running; open a status page above; Ctrl-C ends it");
    stopWorkload = new AbortController();
    await new Promise(() => {});
  }
  process.exitCode = failed === 0 && joined && detected && steady?.["renders per key"] === 1 ? 0 : 1;
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  for (const n of nodes) console.error(`--- ${n.name} output ---\n${n.output}`);
  process.exitCode = 1;
} finally {
  if (!values.keep) {
    for (const n of nodes) if (n.alive) n.child.kill("SIGTERM");
    await sleep(500);
    cleanup();
    await fake.close();
  }
}
