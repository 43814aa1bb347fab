// An on-CPU profile of a bench's processes with Linux perf, for bench/zipf.mjs's --perf: where a request's CPU goes.
//
// V8's own profiler (--cpu-prof, zipf's --profile) samples on the wall clock: on this 2-core closed loop a process
// waits for a core 65–72 % of its runnable time, and it is sampled where it waits. A write that wakes the load
// client is where the scheduler preempts it, so at 3 nodes, 100k keys, 4 KiB, 128 clients --profile put 39–52 % of
// the app nodes' samples in `writev` (48–76 µs per request), where perf's on-CPU samples put the whole write
// (node's StreamBase::Writev, the kernel's TCP send and loopback delivery included) at 21 µs of the 95–104 µs a
// request cost. perf's cpu-clock event counts only the time a thread runs, kernel included, and V8's
// --perf-prof (a jitdump, injected with `perf inject --jit`) names the JIT-compiled JS functions. Its plain
// --perf-basic-prof map is not enough: V8 reuses code space, and a stale entry then names other code (it put a
// module's top level, run once at start-up, at 7 µs per request).
import { spawn, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { fmt } from "./_lib.mjs";

/** Samples per second of CPU: about 5,000 in a 10 s window at 10,000 requests/s and 100 µs of CPU each. */
const FREQUENCY = 499;

/** Throws a clear error unless Linux perf runs here. */
export function checkPerf() {
  try {
    execFileSync("perf", ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error(
      "--perf needs Linux perf (Debian: apt-get install linux-perf) and the right to profile other processes (root, or kernel.perf_event_paranoid <= 1)",
    );
  }
}

/**
 * Starts perf on `pids` (every thread, user and kernel stacks); `stop()` ends it and resolves with the raw data's path.
 * @param {number[]} pids
 * @param {string} file perf.data to write
 */
export function startPerf(pids, file) {
  const proc = spawn("perf", ["record", "-k", "mono", "-e", "cpu-clock", "-F", String(FREQUENCY), "-g", "-p", pids.join(","), "-o", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  proc.stderr.on("data", (c) => (err += c));
  /** @type {Promise<[number | null, NodeJS.Signals | null]>} */
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve([code, signal])));
  return {
    /** @returns {Promise<string>} */
    stop: async () => {
      proc.kill("SIGINT");
      const [code, signal] = await exited;
      if (code !== 0 && signal !== "SIGINT") throw new Error(`perf record exited with ${code ?? signal}: ${err.trim()}`);
      return file;
    },
  };
}

/**
 * What a sample's innermost frame is. JS frames are V8's names from the jitdump: "JS:*name url:line:col" (the mark
 * is the tier), or "Builtin:name"; the rest are native symbols of a shared object, or the kernel's.
 * @param {string} sym
 * @param {string} dso
 */
function category(sym, dso) {
  if (dso.includes("kernel")) return "kernel";
  if (sym.startsWith("JS:")) {
    if (sym.includes("/packages/")) return "cachecluster JS";
    if (sym.includes("/node_modules/")) return "dependencies' JS";
    if (sym.includes("/bench/")) return "app JS (bench)";
    return "node's JS";
  }
  if (sym.startsWith("Builtin") || sym.startsWith("Builtins_") || sym.startsWith("BytecodeHandler")) return "V8 builtins";
  // The jitdump's other code: regular expressions, stubs.
  if (/jitted-\d+-\d+\.so$/.test(dso)) return "other JIT code";
  if (/\/node$/.test(dso)) {
    if (/Scaveng|MarkCompact|ConcurrentMark|MarkingVisitor|Sweeper|Evacuat|heap::|Heap::|MemoryAllocator/.test(sym)) return "V8 GC";
    // V8's compilers and JS parser (node's HTTP parser is node::(anonymous namespace)::Parser: not this).
    if (/v8::internal::(compiler::|maglev::|baseline::|Compiler|Parser|Scanner|\w*Compilation)/.test(sym)) return "V8 compiler";
    return "node and V8 C++";
  }
  if (/libc\.so|libc-/.test(dso)) return "libc";
  if (dso.includes("redis")) return "redis-server";
  return dso.split("/").pop() || "unknown";
}

/**
 * Reads perf's samples (injecting the jitdumps of the Node processes among them first, into `${file}.jit`, which
 * `perf report -i` reads with the JS functions named; the jitdumps and the ELF files made of them stay next to it,
 * in the processes' working directory) and splits the CPU per
 * request: by what the innermost frame is, and the inclusive cost of cachecluster's code (samples with a frame of
 * packages/ on the stack: its own JS and what it calls, the kernel's sends of the peer protocol included).
 * @param {string} file perf.data from startPerf
 * @param {number} requests requests in the window
 * @param {number} windowEnd CLOCK_MONOTONIC seconds (process.hrtime) at the window's end: later samples are left out
 * @param {number} seconds the window's length: the requests are scaled to the part of it that perf saw
 */
export async function perfSummary(file, requests, windowEnd, seconds) {
  const injected = `${file}.jit`;
  execFileSync("perf", ["inject", "--jit", "-i", file, "-o", injected], { stdio: "ignore" });
  const script = spawn("perf", ["script", "-i", injected, "-F", "time,ip,sym,dso"], { stdio: ["ignore", "pipe", "ignore"] });
  /** @type {Map<string, number>} */
  const byCategory = new Map();
  /** @type {Map<string, number>} */
  const ours = new Map();
  let samples = 0;
  let inclusive = 0;
  let first = Number.POSITIVE_INFINITY;
  /** @type {{ time: number, frames: { sym: string, dso: string }[] } | undefined} */
  let sample;
  const done = () => {
    if (sample === undefined || sample.time > windowEnd) return;
    const leaf = sample.frames[0] ?? { sym: "?", dso: "?" };
    samples++;
    first = Math.min(first, sample.time);
    const cat = category(leaf.sym, leaf.dso);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + 1);
    const js = sample.frames.find((f) => f.sym.startsWith("JS:"));
    if (sample.frames.some((f) => f.sym.includes("/packages/"))) inclusive++;
    // Our functions by self time, counting what V8 inlined into them and the builtins they call.
    if (js !== undefined && js.sym.includes("/packages/")) {
      // "JS:*name file:///…/packages/core/…:71:8", where an anonymous function has no name.
      const name = js.sym
        .replace(/^JS:\S? ?/, "")
        .replace(/^(?=file:)/, "(anonymous) ")
        .replace(/file:\/\/\S*\/packages\//, "");
      ours.set(name, (ours.get(name) ?? 0) + 1);
    }
  };
  for await (const line of createInterface({ input: script.stdout })) {
    if (line === "") continue;
    // A sample is its time ("45447.412345: ") and then its frames, innermost first, one per line.
    if (/^\s*\d+\.\d+:/.test(line)) {
      done();
      sample = { time: Number.parseFloat(line), frames: [] };
      continue;
    }
    // "\t    7f0c1a2b sym+0x12 (dso)": the symbol may contain spaces, the dso is the last parenthesis.
    const m = /^\s*[0-9a-f]+\s+(.*)\s+\((.*)\)$/.exec(line);
    if (m !== null && sample !== undefined) sample.frames.push({ sym: (m[1] ?? "").replace(/\+0x[0-9a-f]+$/, ""), dso: m[2] ?? "" });
  }
  done();
  if (samples === 0) return `  perf: no samples in ${injected}`;
  // perf starts a little after the window: count the requests of the part it saw.
  const seen = Math.min(seconds, windowEnd - first);
  const us = (/** @type {number} */ n) => (n / FREQUENCY / ((requests * seen) / seconds)) * 1e6;
  const top = (/** @type {Map<string, number>} */ m, /** @type {number} */ n) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${k} ${fmt(us(v), 1)}`)
      .join("; ");
  return (
    `  perf (on-CPU, ${samples} samples, ${injected}): ${fmt(us(samples), 1)} µs per request; by innermost frame: ${top(byCategory, 12)}` +
    (inclusive === 0 ? "" : `; under cachecluster's code (inclusive) ${fmt(us(inclusive), 1)}, its functions: ${top(ours, 8)}`)
  );
}
