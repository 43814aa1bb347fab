#!/usr/bin/env node
// Receiving and merging the push/pull of a 5,000-member state over real TCP on loopback: a member joins a
// seed that knows 5,000 members (a child process), i.e. sends its state, reads the seed's whole state off
// the stream and merges it. Per join: wall time, CPU time of the joining process, and bytes received; for
// plaintext, LZW-compressed (the default) and LZW + AES-GCM streams. The reference is hashicorp/memberlist
// 0.2.2 joining the same seed the same way (packages/testing/go/memberlist-pushpull), measured in the same run.
//   node bench/swim-pushpull.mjs [--members 5000] [--rounds 7]
// The fake members' addresses are in 127.0.0.0/8 and every member's timers are off: no traffic leaves loopback.
import { fork, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildGoProgram } from "../packages/testing/dist/src/go.js";
import { SwimMembership } from "../packages/membership-swim/dist/src/index.js";
import { udpTcpNetwork } from "../packages/membership-swim/dist/src/net/udp-tcp-network.js";
import { installSettledView } from "../packages/membership-swim/dist/src/swim-membership.js";
import { arg, fmt, median, summarize } from "./_lib.mjs";

/** @typedef {import("../packages/membership-swim/dist/src/index.js").SwimOptionsInput} SwimOptionsInput */
/** @typedef {import("../packages/core/dist/src/index.js").DatagramNetwork} DatagramNetwork */
/** @typedef {{ ms: number, cpuMs: number }} GoJoin one join of Go memberlist: wall and CPU ms */
/** @typedef {GoJoin & { bytes: number }} Join one join of ours: also the bytes received */

const QUIET = {
  host: "127.0.0.1",
  port: 0,
  advertise: "127.0.0.1",
  probeIntervalMs: 3_600_000,
  gossipIntervalMs: 0,
  pushPullIntervalMs: 0,
  reconnectIntervalMs: 0,
};
const KEY = Buffer.alloc(32, 7).toString("base64");
const VARIANTS = [
  { name: "plaintext", options: { compress: false }, go: ["-compress=false"] },
  { name: "lzw (default)", options: { compress: true }, go: ["-compress=true"] },
  { name: "lzw + aes-gcm", options: { compress: true, secretKeys: [KEY] }, go: ["-compress=true", "-key", KEY] },
];

if (process.argv[2] === "--seed") await seedProcess(JSON.parse(process.argv[3] ?? "{}"), Number(process.argv[4]));
else await main();

/**
 * The seed: a member that knows `n` members (settled, as in a converged cluster) and does nothing but answer.
 * @param {SwimOptionsInput} options
 * @param {number} n
 */
async function seedProcess(options, n) {
  const seed = new SwimMembership({ ...QUIET, ...options, name: "seed" }, { local: { name: "seed", host: "127.0.0.1", cacheUrl: "http://127.0.0.1:9080" } });
  await seed.start();
  const te = new TextEncoder();
  const states = Array.from({ length: n }, (_, i) => {
    const addr = Uint8Array.of(127, 10 + (i >> 16), (i >> 8) & 255, i & 255);
    return {
      Name: `cache-${String(i).padStart(5, "0")}.us-central1-b.c.example-project.internal`,
      Addr: addr,
      Port: 7946,
      Meta: te.encode(JSON.stringify({ cacheUrl: `http://${addr.join(".")}:9080` })),
      Incarnation: 1 + (i % 7),
      State: /** @type {const} */ (0),
      Vsn: Uint8Array.of(1, 5, 2, 0, 0, 0),
    };
  });
  installSettledView(seed, states);
  process.send?.({ port: seed.port });
  process.on("disconnect", () => void seed.stop().then(() => process.exit(0)));
}

/**
 * A network that counts the bytes our dialled streams receive.
 * @param {{ bytes: number }} counter
 * @returns {DatagramNetwork}
 */
function countingNetwork(counter) {
  const inner = udpTcpNetwork();
  return {
    bind: async (host, port, handlers) => {
      const socket = await inner.bind(host, port, handlers);
      return {
        host: socket.host,
        port: socket.port,
        sendPacket: (to, data) => socket.sendPacket(to, data),
        close: () => socket.close(),
        dial: async (to, timeoutMs) => {
          const conn = await socket.dial(to, timeoutMs);
          return {
            remote: conn.remote,
            write: (data) => conn.write(data),
            close: () => conn.close(),
            setHandlers: (h) => conn.setHandlers({ data: (chunk) => ((counter.bytes += chunk.byteLength), h.data(chunk)), end: (e) => h.end(e) }),
          };
        },
      };
    },
  };
}

/**
 * One join of ours to the seed at `seedPort`, which knows `n` members.
 * @param {SwimOptionsInput} options
 * @param {number} seedPort
 * @param {number} n
 * @returns {Promise<Join>}
 */
async function oursRound(options, seedPort, n) {
  const counter = { bytes: 0 };
  const m = new SwimMembership(
    { ...QUIET, ...options, name: "joiner" },
    { local: { name: "joiner", host: "127.0.0.1", cacheUrl: "http://127.0.0.1:9081" }, network: countingNetwork(counter) },
  );
  await m.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const reached = await m.join([{ host: "127.0.0.1", clusterPort: seedPort }]);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const members = m.memberCount();
  await m.stop();
  if (reached !== 1 || members !== n + 3) throw new Error(`join reached ${reached} seeds and knows ${members} members, expected 1 and ${n + 3}`);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, bytes: counter.bytes };
}

/**
 * Runs the Go memberlist joiner; one result per round it prints.
 * @param {string} binary
 * @param {string[]} args
 * @returns {Promise<GoJoin[]>}
 */
function goRounds(binary, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(
            out
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l)),
          )
        : reject(new Error(`memberlist-pushpull exited with ${code}`)),
    );
  });
}

async function main() {
  const n = Number(arg("members", "5000"));
  const rounds = Number(arg("rounds", "7"));
  const goBinary = await buildGoProgram("memberlist-pushpull");
  console.log(`push/pull of a ${fmt(n)}-member state over loopback TCP: join = send ours, receive and merge the seed's (median of ${rounds} joins)`);
  console.log(`node ${process.version}; reference: Go memberlist 0.2.2 (packages/testing/go/memberlist-pushpull), same seed, same run`);
  console.log(
    `${"stream".padEnd(15)}${"ours ms".padStart(10)}${"ours cpu ms".padStart(13)}${"go ms".padStart(9)}${"go cpu ms".padStart(11)}${"cpu ours/go".padStart(13)}${"bytes".padStart(12)}`,
  );
  for (const variant of VARIANTS) {
    const seed = fork(fileURLToPath(import.meta.url), ["--seed", JSON.stringify(variant.options), String(n)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const { port } = /** @type {{ port: number }} */ (
      await new Promise((resolve, reject) => {
        seed.once("message", resolve);
        seed.once("exit", (code) => reject(new Error(`seed exited with ${code}`)));
      })
    );
    try {
      // warm-up; the seed learns both joiners, so from now on each join ends knowing n + 3 members
      await oursRound(variant.options, port, n).catch(() => {});
      await goRounds(goBinary, ["-join", `127.0.0.1:${port}`, "-rounds", "1", ...variant.go]);
      /** @type {Join[]} */
      const ours = [];
      /** @type {GoJoin[]} */
      const go = [];
      // interleaved: one of ours, then one of Go's, so both see the same machine load
      for (let r = 0; r < rounds; r++) {
        ours.push(await oursRound(variant.options, port, n));
        go.push(...(await goRounds(goBinary, ["-join", `127.0.0.1:${port}`, "-rounds", "1", "-expect", String(n + 3), ...variant.go])));
      }
      const o = { ms: median(ours.map((x) => x.ms)), cpuMs: median(ours.map((x) => x.cpuMs)), bytes: median(ours.map((x) => x.bytes)) };
      const g = { ms: median(go.map((x) => x.ms)), cpuMs: median(go.map((x) => x.cpuMs)) };
      console.log(
        `${variant.name.padEnd(15)}${fmt(o.ms, 1).padStart(10)}${fmt(o.cpuMs, 1).padStart(13)}${fmt(g.ms, 1).padStart(9)}${fmt(g.cpuMs, 1).padStart(11)}${(o.cpuMs / g.cpuMs).toFixed(2).padStart(13)}${fmt(o.bytes).padStart(12)}`,
      );
      summarize({
        bench: "swim-pushpull",
        figure: `CPU ms to receive + merge a ${fmt(n)}-member push/pull, ${variant.name} (${fmt(o.bytes)} bytes)`,
        cachecluster: fmt(o.cpuMs, 1),
        reference: `${fmt(g.cpuMs, 1)} (Go memberlist 0.2.2)`,
        ratio: `${(o.cpuMs / g.cpuMs).toFixed(2)}x`,
        goal: "-",
      });
    } finally {
      seed.disconnect();
    }
  }
}
