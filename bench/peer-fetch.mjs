#!/usr/bin/env node
// Peer fetch over loopback: client and server in separate processes, 1 KiB values, concurrency 1 and 64.
//   Node pair: our undici client (HttpTransport.client.fetch) → our server (createCacheCluster + httpTransport).
//   Go pair:   golang/groupcache's httpGetter (HTTPPool.PickPeer(...).Get) → golang/groupcache HTTPPool server.
// Both servers answer from their main cache (1000 keys, warmed by the warm-up phase).
// Usage: pnpm build && node bench/peer-fetch.mjs [--runs 5] [--duration 2] [--warmup 1] [--warmup-requests 20000] [--concurrency 1,64]
// Prints each run, then the medians with the ratio Node/Go of requests per second, and CPU time per request
// (client: its own user+system CPU over the measured window; server: /proc CPU over the client's run), which
// stays meaningful when the machine is shared and throughput follows the scheduler more than the code.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { arg, fmt, median, summarize } from "./_lib.mjs";

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const VALUE_SIZE = 1024;
const KEYS = 1000;
const GROUP = "g";

/** @param {string} key */
function valueOf(key) {
  const v = `value-of:${key}`;
  return v.length >= VALUE_SIZE ? v : v + ".".repeat(VALUE_SIZE - v.length);
}

// ---- child modes ------------------------------------------------------------------------------------

async function serveNode() {
  const { createCacheCluster } = await import("../packages/core/dist/src/index.js");
  const { httpTransport } = await import("../packages/transport-http/dist/src/index.js");
  const cluster = await createCacheCluster({ cache: { host: "127.0.0.1", port: 0 }, cluster: { advertise: "127.0.0.1" } }, [httpTransport()]);
  cluster.group(GROUP, { maxBytes: 64 << 20, load: (key) => valueOf(key) });
  const { url } = await cluster.listen();
  console.log(JSON.stringify({ event: "listening", url }));
  // Exit cleanly on SIGINT/SIGTERM (lets --cpu-prof write its profile).
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
}

/**
 * @param {string} url
 * @param {number} concurrency
 * @param {number} seconds
 * @param {number} warmupSeconds
 * @param {number} warmupRequests
 */
async function clientNode(url, concurrency, seconds, warmupSeconds, warmupRequests) {
  const { HttpTransport } = await import("../packages/transport-http/dist/src/index.js");
  // PEER_FETCH_OPTIONS (JSON) tries other client options; the reported figures use the defaults.
  const transport = new HttpTransport(JSON.parse(process.env.PEER_FETCH_OPTIONS ?? "{}"));
  const keys = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
  let measuring = false;
  let stop = false;
  let errors = 0;
  let total = 0;
  /** @type {number[]} */
  const lat = [];
  /** @param {number} w */
  const worker = async (w) => {
    let i = w;
    while (!stop) {
      const key = /** @type {string} */ (keys[i % KEYS]);
      i += concurrency;
      const t0 = process.hrtime.bigint();
      try {
        const got = await transport.client.fetch(url, GROUP, key);
        total++;
        if (measuring) {
          if (got.value.length !== VALUE_SIZE) errors++;
          else lat.push(Number(process.hrtime.bigint() - t0) / 1000);
        }
      } catch {
        if (measuring) errors++;
      }
    }
  };
  const workers = Array.from({ length: concurrency }, (_, w) => worker(w));
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  // Warm up by work done too, not only by wall time: on a busy machine 1 s may not be enough for V8 to
  // optimize the hot path, and every measurement starts a fresh client process.
  for (const deadline = Date.now() + 10_000; total < warmupRequests && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10));
  const cpu0 = process.cpuUsage();
  measuring = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  stop = true;
  await Promise.all(workers);
  await transport.stop();
  lat.sort((a, b) => a - b);
  /** @param {number} p */
  const pct = (p) => (lat.length === 0 ? 0 : lat[Math.floor(p * (lat.length - 1))]);
  console.log(JSON.stringify({ requests: lat.length, errors, seconds: secs, p50_us: pct(0.5), p99_us: pct(0.99), cpu_us: cpu.user + cpu.system, total }));
}

// ---- orchestration -----------------------------------------------------------------------------------

/** @typedef {"node" | "go"} Pair */

/**
 * @param {string} cmd
 * @param {string[]} argv
 * @returns {Promise<{ proc: import("node:child_process").ChildProcess, url: string }>}
 */
function startServer(cmd, argv) {
  const proc = spawn(cmd, argv, { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    rl.on("line", (line) => {
      try {
        const e = JSON.parse(line);
        if (e.event === "listening") resolve({ proc, url: e.url });
      } catch {
        // not a JSON line: other output
      }
    });
    proc.once("exit", (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
}

/**
 * What a client run printed.
 * @typedef {{ requests: number, errors: number, seconds: number, p50_us: number, p99_us: number, cpu_us: number, total: number }} ClientResult
 */

/**
 * @param {string} cmd
 * @param {string[]} argv
 * @returns {Promise<ClientResult>}
 */
function runClient(cmd, argv) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (c) => (out += c));
    proc.once("exit", (code) => {
      const line = out.trim().split("\n").pop();
      try {
        resolve(JSON.parse(line ?? ""));
      } catch {
        reject(new Error(`client exited with ${code}: ${out}`));
      }
    });
  });
}

/** user+system CPU of a process in µs, from /proc (Linux). */
/** @param {number | undefined} pid */
function procCpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks / 100) * 1e6; // USER_HZ = 100 on Linux
}

async function main() {
  const runs = Number(arg("runs", "5"));
  const seconds = Number(arg("duration", "2"));
  const warmup = Number(arg("warmup", "1"));
  const warmupRequests = Number(arg("warmup-requests", "20000"));
  const concurrencies = arg("concurrency", "1,64").split(",").map(Number);
  const { buildGoProgram } = await import("../packages/testing/dist/src/go.js");
  const goBinary = await buildGoProgram("groupcache-peer");

  const nodeServer = await startServer(process.execPath, [self, "--serve-node"]);
  const goServer = await startServer(goBinary, ["-listen", "127.0.0.1:0", "-value-size", String(VALUE_SIZE), "-group", GROUP]);
  /** @type {{ pair: Pair, c: number, run: number, rps: number, p50: number, p99: number, errors: number, clientCpu: number, serverCpu: number }[]} */
  const results = [];
  try {
    console.log(
      `peer-fetch: ${VALUE_SIZE} B values, ${KEYS} keys, ${seconds} s per measurement after a warm-up of ${warmup} s and ${warmupRequests} requests (at most 10 s), ${runs} runs`,
    );
    console.log(`node ${process.version}; Node server ${nodeServer.url}, Go server ${goServer.url}`);
    for (let run = 1; run <= runs; run++) {
      for (const c of concurrencies) {
        // Alternate which pair goes first, so drift on a shared machine hits both alike.
        /** @type {Pair[]} */
        const order = run % 2 === 1 ? ["node", "go"] : ["go", "node"];
        for (const pair of order) {
          const server = pair === "node" ? nodeServer : goServer;
          const serverCpu0 = procCpuMicros(server.proc.pid);
          const r =
            pair === "node"
              ? await runClient(process.execPath, [self, "--client-node", nodeServer.url, String(c), String(seconds), String(warmup), String(warmupRequests)])
              : await runClient(goBinary, [
                  "-bench-client",
                  goServer.url,
                  "-group",
                  GROUP,
                  "-concurrency",
                  String(c),
                  "-duration",
                  `${seconds}s`,
                  "-warmup",
                  `${warmup}s`,
                  "-warmup-requests",
                  String(warmupRequests),
                  "-keys",
                  String(KEYS),
                ]);
          // Server CPU over the client's whole run (warm-up included), per request of that run.
          const serverCpuPerReq = (procCpuMicros(server.proc.pid) - serverCpu0) / r.total;
          const clientCpuPerReq = r.cpu_us / r.requests;
          const rps = r.requests / r.seconds;
          results.push({ pair, c, run, rps, p50: r.p50_us, p99: r.p99_us, errors: r.errors, clientCpu: clientCpuPerReq, serverCpu: serverCpuPerReq });
          console.log(
            `run ${run} c=${String(c).padStart(2)} ${pair.padEnd(4)} ${fmt(rps).padStart(8)} req/s  p50 ${fmt(r.p50_us, 1).padStart(7)} µs  p99 ${fmt(r.p99_us, 1).padStart(8)} µs  CPU/req client ${fmt(clientCpuPerReq, 1)} µs server ${fmt(serverCpuPerReq, 1)} µs  errors ${r.errors}`,
          );
        }
      }
    }
  } finally {
    nodeServer.proc.kill("SIGKILL");
    goServer.proc.kill("SIGKILL");
  }

  console.log("");
  console.log(`medians of ${runs} runs`);
  console.log(
    "| pair                                   | concurrency |    req/s |   p50 µs |   p99 µs | client CPU µs/req | server CPU µs/req | Node/Go req/s |",
  );
  console.log(
    "|----------------------------------------|------------:|---------:|---------:|---------:|------------------:|------------------:|--------------:|",
  );
  for (const c of concurrencies) {
    const m = /** @type {Record<Pair, Record<"rps" | "p50" | "p99" | "clientCpu" | "serverCpu", number>>} */ ({});
    for (const pair of /** @type {Pair[]} */ (["node", "go"])) {
      const rs = results.filter((r) => r.pair === pair && r.c === c);
      m[pair] = {
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        clientCpu: median(rs.map((r) => r.clientCpu)),
        serverCpu: median(rs.map((r) => r.serverCpu)),
      };
    }
    const ratio = m.node.rps / m.go.rps;
    summarize({
      bench: "peer-fetch",
      figure: `peer fetches/s of 1 KiB, concurrency ${c}`,
      cachecluster: fmt(m.node.rps),
      reference: `Go httpGetter → HTTPPool ${fmt(m.go.rps)}`,
      ratio: `${ratio.toFixed(2)}x`,
      goal: "-",
    });
    const label = { node: "Node: undici client → node:http server", go: "Go: groupcache httpGetter → HTTPPool" };
    for (const pair of /** @type {Pair[]} */ (["node", "go"])) {
      console.log(
        `| ${label[pair].padEnd(38)} | ${String(c).padStart(11)} | ${fmt(m[pair].rps).padStart(8)} | ${fmt(m[pair].p50, 1).padStart(8)} | ${fmt(m[pair].p99, 1).padStart(8)} | ${fmt(m[pair].clientCpu, 1).padStart(17)} | ${fmt(m[pair].serverCpu, 1).padStart(17)} | ${(pair === "node" ? `${ratio.toFixed(2)}x` : "").padStart(13)} |`,
      );
    }
  }
}

if (args[0] === "--serve-node") await serveNode();
else if (args[0] === "--client-node") await clientNode(args[1] ?? "", Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5] ?? "0"));
else await main();
