#!/usr/bin/env node
// Peer fetch over loopback: client and server in separate processes, 1 KiB values, concurrency 1 and 64.
//   Node pair: HttpTransport.client.fetch → our server (createCacheCluster + httpTransport), with the defaults: the
//   gets go over the peer stream (one multiplexed binary connection, negotiated by an HTTP upgrade).
//   Node over HTTP: the same with `stream: false` on the client: golang/groupcache's HTTP protocol, our undici client.
//   Go pair:   golang/groupcache's httpGetter (HTTPPool.PickPeer(...).Get) → golang/groupcache HTTPPool server.
// Both servers answer from their main cache (1000 keys, warmed by the warm-up phase).
// Peer-plane checks: the Node pair runs twice per round, interleaved: with the default checks on (reads by
// members only, member-only writes) and with them off (reads: "any"); the table prints on/off (target >= 0.95). Each run starts a fresh pair of Node servers, in alternating order.
// Then signed vs unsigned writes: a client sets and removes 1 KiB values against a server with secretKeys
// (client signs, server verifies) and one without, interleaved; CPU per write on each side and writes/s.
// Usage: pnpm build && node bench/peer-fetch.mjs [--runs 5] [--duration 2] [--warmup 1] [--warmup-requests 20000] [--concurrency 1,64]
// Prints each run, then the medians with the ratio Node/Go of requests per second, and CPU time per request
// (client: its own user+system CPU over the measured window; server: /proc CPU over the client's run), which
// stays meaningful when the machine is shared and throughput follows the scheduler more than the code.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { arg, fmt, median, procCpuMicros, summarize } from "./_lib.mjs";

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

const SECRET = "c2VjcmV0LWtleS1mb3ItdGhlLWJlbmNoLW9ubHktMzI=";

/**
 * mode: "checks" (defaults), "open" (reads: "any"), "signed" (secretKeys).
 * @param {string} [mode]
 */
async function serveNode(mode = "checks") {
  const { createCacheCluster } = await import("../packages/core/dist/src/index.js");
  const { httpTransport } = await import("../packages/transport-http/dist/src/index.js");
  /** @type {import("../packages/transport-http/dist/src/index.js").HttpTransportOptionsInput} */
  const options = mode === "open" ? { reads: "any" } : mode === "signed" ? { secretKeys: [SECRET] } : {};
  const cluster = await createCacheCluster({ cache: { host: "127.0.0.1", port: 0 }, cluster: { advertise: "127.0.0.1" } }, [httpTransport(options)]);
  cluster.group(GROUP, { maxBytes: 64 << 20, load: (key) => valueOf(key) });
  const { url } = await cluster.listen({ admin: false });
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
async function clientNode(url, concurrency, seconds, warmupSeconds, warmupRequests, protocol = "stream") {
  const { HttpTransport } = await import("../packages/transport-http/dist/src/index.js");
  // PEER_FETCH_OPTIONS (JSON) tries other client options; the reported figures use the defaults.
  const options = JSON.parse(process.env.PEER_FETCH_OPTIONS ?? "{}");
  const transport = new HttpTransport(protocol === "http" ? { ...options, stream: false } : options);
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

/**
 * Sequential set + remove of 1 KiB values for `seconds`; signed when `signed`. Prints writes, seconds, CPU.
 * @param {string} url
 * @param {boolean} signed
 * @param {number} seconds
 */
async function clientWrites(url, signed, seconds) {
  const { HttpTransport } = await import("../packages/transport-http/dist/src/index.js");
  const transport = new HttpTransport(signed ? { secretKeys: [SECRET] } : {});
  const value = new TextEncoder().encode(valueOf("w"));
  for (let i = 0; i < 2000; i++) await transport.client.set(url, GROUP, `w-${i % 100}`, { value });
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  let writes = 0;
  let errors = 0;
  while (Date.now() < end) {
    const key = `w-${writes % 100}`;
    try {
      await transport.client.set(url, GROUP, key, { value });
      await transport.client.remove(url, GROUP, key);
    } catch {
      errors++;
    }
    writes += 2;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await transport.stop();
  console.log(JSON.stringify({ writes, errors, seconds: secs, cpu_us: cpu.user + cpu.system, total: writes + 2000 }));
}

// ---- orchestration -----------------------------------------------------------------------------------

/** @typedef {"node" | "http" | "open" | "go"} Pair */
/** @typedef {{ proc: import("node:child_process").ChildProcess, url: string }} Server */

/**
 * The two Node servers of one run, checks on ("node") and off ("open"), fresh each run and started in an order
 * that alternates with the run: an A/A run (both servers with the checks on) measured the long-lived process
 * started first ~10 % slower at concurrency 64, whatever it served, which read as a cost of the checks.
 * @param {number} run
 * @returns {Promise<{ node: Server, open: Server }>}
 */
async function startNodePair(run) {
  const modes = run % 2 === 1 ? ["checks", "open"] : ["open", "checks"];
  /** @type {Record<string, Server>} */
  const started = {};
  for (const mode of modes) started[mode] = await startServer(process.execPath, [self, "--serve-node", mode]);
  return { node: /** @type {Server} */ (started["checks"]), open: /** @type {Server} */ (started["open"]) };
}

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
 * @typedef {{ requests: number, errors: number, seconds: number, p50_us: number, p99_us: number, cpu_us: number, total: number, writes?: number }} ClientResult
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

async function main() {
  const runs = Number(arg("runs", "5"));
  const seconds = Number(arg("duration", "2"));
  const warmup = Number(arg("warmup", "1"));
  const warmupRequests = Number(arg("warmup-requests", "20000"));
  const concurrencies = arg("concurrency", "1,64").split(",").map(Number);
  const { buildGoProgram } = await import("../packages/testing/dist/src/go.js");
  const goBinary = await buildGoProgram("groupcache-peer");

  const nodeServer = await startServer(process.execPath, [self, "--serve-node", "checks"]);
  const signedServer = await startServer(process.execPath, [self, "--serve-node", "signed"]);
  /** @type {Server[]} */
  const runServers = [];
  const goServer = await startServer(goBinary, ["-listen", "127.0.0.1:0", "-value-size", String(VALUE_SIZE), "-group", GROUP]);
  /** @type {{ pair: Pair, c: number, run: number, rps: number, p50: number, p99: number, errors: number, clientCpu: number, serverCpu: number }[]} */
  const results = [];
  /** @type {{ kind: string, rps: number, clientCpu: number, serverCpu: number, errors: number }[]} */
  const writeResults = [];
  try {
    console.log(
      `peer-fetch: ${VALUE_SIZE} B values, ${KEYS} keys, ${seconds} s per measurement after a warm-up of ${warmup} s and ${warmupRequests} requests (at most 10 s), ${runs} runs`,
    );
    console.log(`node ${process.version}; Node server ${nodeServer.url}, Go server ${goServer.url}`);
    for (let run = 1; run <= runs; run++) {
      const nodePair = await startNodePair(run);
      runServers.push(nodePair.node, nodePair.open);
      for (const c of concurrencies) {
        // Alternate which pair goes first, so drift on a shared machine hits both alike.
        /** @type {Pair[]} */
        const order = run % 2 === 1 ? ["node", "http", "open", "go"] : ["go", "open", "http", "node"];
        for (const pair of order) {
          const server = pair === "go" ? goServer : pair === "http" ? nodePair.node : nodePair[pair];
          const serverCpu0 = procCpuMicros(server.proc.pid);
          const r =
            pair !== "go"
              ? await runClient(process.execPath, [
                  self,
                  "--client-node",
                  server.url,
                  String(c),
                  String(seconds),
                  String(warmup),
                  String(warmupRequests),
                  pair === "http" ? "http" : "stream",
                ])
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
      for (const server of [nodePair.node, nodePair.open]) server.proc.kill("SIGKILL");
    }
    for (let run = 1; run <= runs; run++) {
      const order = run % 2 === 1 ? ["unsigned", "signed"] : ["signed", "unsigned"];
      for (const kind of order) {
        const server = kind === "signed" ? signedServer : nodeServer;
        const serverCpu0 = procCpuMicros(server.proc.pid);
        const r = await runClient(process.execPath, [self, "--client-writes", server.url, kind, String(seconds)]);
        const writes = r.writes ?? 0;
        const serverCpu = (procCpuMicros(server.proc.pid) - serverCpu0) / r.total;
        writeResults.push({ kind, rps: writes / r.seconds, clientCpu: r.cpu_us / writes, serverCpu, errors: r.errors });
        console.log(
          `run ${run} writes ${kind.padEnd(8)} ${fmt(writes / r.seconds).padStart(8)} writes/s  CPU/write client ${fmt(r.cpu_us / writes, 1)} µs server ${fmt(serverCpu, 1)} µs  errors ${r.errors}`,
        );
      }
    }
  } finally {
    for (const server of [nodeServer, signedServer, goServer, ...runServers]) server.proc.kill("SIGKILL");
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
    for (const pair of /** @type {Pair[]} */ (["node", "http", "open", "go"])) {
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
      goal: c === 1 ? ">= 1.0x" : "-",
    });
    summarize({
      bench: "peer-fetch",
      figure: `peer fetch p50 latency µs, concurrency ${c}`,
      cachecluster: fmt(m.node.p50, 1),
      reference: `Go ${fmt(m.go.p50, 1)}; Node over HTTP ${fmt(m.http.p50, 1)}`,
      ratio: `${(m.node.p50 / m.go.p50).toFixed(2)}x`,
      goal: c === 1 ? "<= 1.0x" : "-",
    });
    summarize({
      bench: "peer-fetch",
      figure: `peer fetches/s, the stream against HTTP (Node client and server), concurrency ${c}`,
      cachecluster: fmt(m.node.rps),
      reference: `HTTP ${fmt(m.http.rps)}`,
      ratio: `${(m.node.rps / m.http.rps).toFixed(2)}x`,
      goal: "-",
    });
    const checks = m.node.rps / m.open.rps;
    summarize({
      bench: "peer-fetch",
      figure: `peer fetches/s with the access checks on, concurrency ${c}`,
      cachecluster: fmt(m.node.rps),
      reference: `checks off (reads: any) ${fmt(m.open.rps)}`,
      ratio: `${checks.toFixed(2)}x`,
      goal: ">= 0.95x",
    });
    const label = {
      node: "Node, checks on (default: stream)",
      http: "Node over HTTP (stream: false)",
      open: 'Node, checks off (reads: "any")',
      go: "Go: groupcache httpGetter → HTTPPool",
    };
    for (const pair of /** @type {Pair[]} */ (["node", "http", "open", "go"])) {
      console.log(
        `| ${label[pair].padEnd(38)} | ${String(c).padStart(11)} | ${fmt(m[pair].rps).padStart(8)} | ${fmt(m[pair].p50, 1).padStart(8)} | ${fmt(m[pair].p99, 1).padStart(8)} | ${fmt(m[pair].clientCpu, 1).padStart(17)} | ${fmt(m[pair].serverCpu, 1).padStart(17)} | ${(pair === "go" ? "" : `${(m[pair].rps / m.go.rps).toFixed(2)}x`).padStart(13)} |`,
      );
    }
    console.log(`checks on / off, concurrency ${c}: ${checks.toFixed(3)}x req/s, server CPU/req ${(m.node.serverCpu / m.open.serverCpu).toFixed(3)}x`);
  }

  console.log("");
  console.log(`writes (set + remove of 1 KiB, sequential), medians of ${runs} runs`);
  console.log("| writes   | writes/s | client CPU µs/write | server CPU µs/write |");
  console.log("|----------|---------:|--------------------:|--------------------:|");
  const w = /** @type {Record<"unsigned" | "signed", Record<"rps" | "clientCpu" | "serverCpu", number>>} */ ({});
  for (const kind of /** @type {("unsigned" | "signed")[]} */ (["unsigned", "signed"])) {
    const rs = writeResults.filter((r) => r.kind === kind);
    w[kind] = { rps: median(rs.map((r) => r.rps)), clientCpu: median(rs.map((r) => r.clientCpu)), serverCpu: median(rs.map((r) => r.serverCpu)) };
    console.log(
      `| ${kind.padEnd(8)} | ${fmt(w[kind].rps).padStart(8)} | ${fmt(w[kind].clientCpu, 1).padStart(19)} | ${fmt(w[kind].serverCpu, 1).padStart(19)} |`,
    );
  }
  summarize({
    bench: "peer-fetch",
    figure: "signed set/remove: CPU µs per write, client + server",
    cachecluster: fmt(w.signed.clientCpu + w.signed.serverCpu, 1),
    reference: `unsigned ${fmt(w.unsigned.clientCpu + w.unsigned.serverCpu, 1)}`,
    ratio: `${((w.signed.clientCpu + w.signed.serverCpu) / (w.unsigned.clientCpu + w.unsigned.serverCpu)).toFixed(2)}x`,
    goal: "-",
  });
}

if (args[0] === "--serve-node") await serveNode(args[1]);
else if (args[0] === "--client-writes") await clientWrites(args[1] ?? "", args[2] === "signed", Number(args[3]));
else if (args[0] === "--client-node") await clientNode(args[1] ?? "", Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5] ?? "0"), args[6]);
else await main();
