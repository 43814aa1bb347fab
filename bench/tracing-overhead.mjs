#!/usr/bin/env node
// What tracing costs a local hit when the app has no OpenTelemetry SDK: Group.get on a cached 1 KB value with
// core as built (the tracing check in get) against a baseline copy of the same build whose get has the check
// cut out, A/B interleaved in one process (alternating order), CPU time per op from process.cpuUsage().
//   - "no registry": the app never touched @opentelemetry/api (or imported it and registered nothing);
//   - "registry, no tracer": something registered a propagator or context manager but no tracer provider;
//   - "SDK": a tracer provider that records every span (informative: what a traced hit costs).
//   node bench/tracing-overhead.mjs [--rounds 31] [--ops 200000]
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { median, summarize } from "./_lib.mjs";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "31" }, ops: { type: "string", default: "200000" } } });
const rounds = Number(values.rounds);
const opsPerRound = Number(values.ops);
const size = 1024;
const goal = 0.03;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const coreDir = join(root, "packages/core");

/** The built core, copied, with the tracing check cut out of Group.get (the only change on the hit path). */
function baselineCore() {
  const dir = mkdtempSync(join(tmpdir(), "cachecluster-bench-baseline-"));
  cpSync(join(coreDir, "dist/src"), join(dir, "src"), { recursive: true });
  symlinkSync(join(coreDir, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  const file = join(dir, "src/engine/group.js");
  const check = /const tracing = activeTracing\(\);\s*if \(tracing !== undefined\)\s*return this\.#tracedGet\(tracing, key, options\);/g;
  const source = readFileSync(file, "utf8");
  const matches = source.match(check)?.length ?? 0;
  if (matches !== 1) throw new Error(`expected the tracing check once in the built Group.get, found it ${matches} times: update bench/tracing-overhead.mjs`);
  writeFileSync(file, source.replace(check, ""));
  return dir;
}

/** @typedef {typeof import("../packages/core/dist/src/index.js")} Core */
/** @typedef {import("../packages/core/dist/src/index.js").Group} Group */
/** @typedef {"baseline" | "traced"} Contender */
/** @typedef {{ cpuNs: number, wallNs: number }} Sample */
/** @typedef {(group: Group, ops: number) => Promise<Sample>} Loop */

const baselineDir = baselineCore();
process.on("exit", () => rmSync(baselineDir, { recursive: true, force: true }));
/** @type {Core} */
const traced = await import(pathToFileURL(join(coreDir, "dist/src/index.js")).href);
/** @type {Core} */
const baseline = await import(pathToFileURL(join(baselineDir, "src/index.js")).href);

const value = new Uint8Array(size).map((_, i) => i & 255);
/** @param {Core} core */
async function groupOf(core) {
  const cluster = await core.createCacheCluster({ cache: { port: 0 } }, [], { logger: core.silentLogger });
  const group = cluster.group("bench", { maxBytes: 64 << 20, load: () => value });
  await group.get("key");
  return group;
}
/** @type {Record<Contender, Group>} */
const groups = { baseline: await groupOf(baseline), traced: await groupOf(traced) };
/** @type {Contender[]} */
const contenders = ["baseline", "traced"];

// One loop per contender (distinct source, so each has its own type feedback), awaiting every get as an app does.
/** @type {Partial<Record<Contender, Loop>>} */
const loops = {};
for (const name of contenders) {
  loops[name] = /** @type {Loop} */ (
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed source per contender, nothing from input
    new Function(
      "group",
      "ops",
      `return (async function ${name}Round() {
      let bytes = 0;
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < ops; i++) bytes += (await group.get("key")).byteLength;
      const wall = performance.now() - start;
      const used = process.cpuUsage(cpu);
      if (bytes !== ops * ${size}) throw new Error("wrong size");
      return { cpuNs: ((used.user + used.system) * 1000) / ops, wallNs: (wall * 1e6) / ops };
    })();`,
    )
  );
}

/** Interleaved rounds of baseline and traced (order alternating); medians per op and of the per-round ratios. */
/** @param {string} label */
async function compare(label) {
  /** @type {Record<Contender, Sample[]>} */
  const samples = { baseline: [], traced: [] };
  /** @type {number[]} */
  const ratios = [];
  const warmUp = 3;
  for (let r = 0; r < warmUp + rounds; r++) {
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    /** @type {Partial<Record<Contender, Sample>>} */
    const got = {};
    for (const name of order) got[name] = await /** @type {Loop} */ (loops[name])(groups[name], opsPerRound);
    if (r < warmUp) continue;
    const [base, tr] = [/** @type {Sample} */ (got.baseline), /** @type {Sample} */ (got.traced)];
    samples.baseline.push(base);
    samples.traced.push(tr);
    ratios.push(tr.cpuNs / base.cpuNs);
  }
  /** @param {Contender} name */
  const cpu = (name) => median(samples[name].map((s) => s.cpuNs));
  /** @param {Contender} name */
  const wall = (name) => median(samples[name].map((s) => s.wallNs));
  return { label, baseCpu: cpu("baseline"), tracedCpu: cpu("traced"), baseWall: wall("baseline"), tracedWall: wall("traced"), ratio: median(ratios) };
}

const results = [await compare("no registry")];

// Something registers a propagator but no tracer provider: the registry exists, holds no tracer.
const requireFromCore = createRequire(join(coreDir, "package.json"));
/** @type {{ propagation: { setGlobalPropagator(propagator: object): boolean }, trace: { setGlobalTracerProvider(provider: object): boolean } }} */
const api = requireFromCore("@opentelemetry/api");
api.propagation.setGlobalPropagator({ inject() {}, extract: (/** @type {unknown} */ context) => context, fields: () => [] });
results.push(await compare("registry, no tracer"));

// An SDK that records every span (informative), when the integration tests' devDependencies are installed.
/** @type {{ BasicTracerProvider: new (config: { spanProcessors: object[] }) => object } | undefined} */
let sdk;
try {
  sdk = createRequire(join(root, "tests/integration/package.json"))("@opentelemetry/sdk-trace-base");
} catch {
  sdk = undefined;
}
if (sdk !== undefined) {
  const spans = { n: 0 };
  const processor = { onStart() {}, onEnd: () => void spans.n++, forceFlush: async () => {}, shutdown: async () => {} };
  api.trace.setGlobalTracerProvider(new sdk.BasicTracerProvider({ spanProcessors: [processor] }));
  results.push(await compare("SDK recording every span"));
  if (spans.n === 0) throw new Error("the SDK recorded no span: tracing was not on");
}

/** @param {number} ratio */
const pct = (ratio) => `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)} %`;
console.log(`tracing overhead on a local hit: get of a cached ${size} B value, ${rounds} interleaved rounds of ${opsPerRound} gets each`);
console.table(
  Object.fromEntries(
    results.map((r) => [
      r.label,
      {
        "baseline CPU ns/op": +r.baseCpu.toFixed(1),
        "with tracing CPU ns/op": +r.tracedCpu.toFixed(1),
        "CPU ratio (median of rounds)": +r.ratio.toFixed(3),
        "baseline wall ns/op": +r.baseWall.toFixed(1),
        "with tracing wall ns/op": +r.tracedWall.toFixed(1),
      },
    ]),
  ),
);
for (const r of results.slice(0, 2)) {
  console.log(`ratio with tracing / baseline (${r.label}), CPU per op: ${r.ratio.toFixed(3)} (${pct(r.ratio)}; goal <= +${goal * 100} %)`);
}
summarize(
  ...results.slice(0, 2).map((r) => ({
    bench: "tracing-overhead",
    figure: `local hit, no SDK (${r.label}), CPU ns/op`,
    cachecluster: r.tracedCpu.toFixed(1),
    reference: `without the tracing check ${r.baseCpu.toFixed(1)}`,
    ratio: `${r.ratio.toFixed(3)}x`,
    goal: `<= ${(1 + goal).toFixed(2)}x`,
  })),
);
