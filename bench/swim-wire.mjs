#!/usr/bin/env node
// Encode/decode throughput of the SWIM wire layer (packages/membership-swim/src/wire), next to
// hashicorp/memberlist 0.2.2's own code paths (packages/testing/go/memberlist-vectors, GOMAXPROCS=1) measured in the same run.
// Prints ops/s (median of rounds) and the ratio ours/Go for: one alive message, a 10-message compound
// datagram with CRC + AES-GCM, LZW compression of it, and a 1,000-node push/pull state.
//   node bench/swim-wire.mjs [--rounds 3] [--seconds 1]
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { buildGoProgram } from "../packages/testing/dist/src/go.js";
import {
  Keyring,
  MessageType,
  decodeCompress,
  decodeMessage,
  decodePacket,
  encodeCompound,
  encodeCompress,
  encodeMessage,
  encodePacket,
  encodePushPull,
  readStreamMessage,
} from "../packages/membership-swim/dist/src/wire/index.js";
import { summarize } from "./_lib.mjs";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" }, seconds: { type: "string", default: "1" } } });
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const te = new TextEncoder();
const alive = (/** @type {number} */ i) => ({
  Incarnation: i,
  Node: `node-${String(i).padStart(4, "0")}.cachecluster.internal`,
  Addr: new Uint8Array([10, 0, i >> 8, i & 0xff]),
  Port: 7946,
  Meta: te.encode("http://10.0.0.1:8080/_groupcache/"),
  Vsn: new Uint8Array([1, 5, 2, 0, 0, 0]),
});

/**
 * @param {number} d seconds
 * @param {() => unknown} f
 */
function opsPerSec(d, f) {
  let n = 0;
  const start = performance.now();
  const deadline = start + d * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) f();
    n += 100;
  }
  return n / ((performance.now() - start) / 1000);
}

function oursRound() {
  const a = alive(1);
  const aliveBytes = encodeMessage(MessageType.Alive, a);
  const keyring = new Keyring(new Uint8Array(16));
  const msgs = Array.from({ length: 10 }, (_, i) => encodeMessage(MessageType.Alive, alive(i)));
  const packetOpts = { crc: true, keyring, maxPacketSize: 65_000 };
  const packet = encodePacket(msgs, packetOpts);
  const datagram = packet[0];
  const gossip = encodeCompound(msgs)[0];
  if (packet.length !== 1 || datagram === undefined || gossip === undefined) throw new Error("expected one datagram");
  const compressed = encodeCompress(gossip);
  const states = Array.from({ length: 1000 }, (_, i) => {
    const x = alive(i);
    return { Name: x.Node, Addr: x.Addr, Port: x.Port, Meta: x.Meta, Incarnation: x.Incarnation, State: /** @type {const} */ (0), Vsn: x.Vsn };
  });
  const pp = encodePushPull({ join: false, states, userState: new Uint8Array(0) });
  return {
    encodeAlive: opsPerSec(seconds, () => encodeMessage(MessageType.Alive, a)),
    decodeAlive: opsPerSec(seconds, () => decodeMessage(aliveBytes)),
    encodePacket10: opsPerSec(seconds, () => encodePacket(msgs, packetOpts)),
    decodePacket10: opsPerSec(seconds, () => {
      if (decodePacket(datagram, { keyring }).messages.length !== 10) throw new Error("lost messages");
    }),
    compressPacket: opsPerSec(seconds, () => encodeCompress(gossip)),
    decompressPacket: opsPerSec(seconds, () => decodeCompress(compressed.subarray(1))),
    encodePushPull1000: opsPerSec(seconds / 4, () => encodePushPull({ join: false, states, userState: new Uint8Array(0) })),
    decodePushPull1000: opsPerSec(seconds / 4, () => {
      if (!readStreamMessage(pp).done) throw new Error("incomplete");
    }),
  };
}

/** @returns {Promise<Record<string, number>>} */
async function goRound() {
  const bin = await buildGoProgram("memberlist-vectors");
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { env: { ...process.env, GOMAXPROCS: "1" } });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`go exited ${code}`))));
    child.stdin.end(JSON.stringify({ bench: seconds }));
  });
}

/** @type {Record<string, number>[]} */
const ours = [];
/** @type {Record<string, number>[]} */
const go = [];
for (let r = 0; r < rounds; r++) {
  ours.push(oursRound());
  go.push(await goRound());
}
console.log(`swim wire, ops/s, median of ${rounds} rounds of ${seconds}s (node ${process.version}; Go memberlist 0.2.2 code paths, GOMAXPROCS=1)`);
console.log(`${"operation".padEnd(22)}${"ours".padStart(12)}${"go".padStart(12)}${"ours/go".padStart(10)}`);
/** @type {number[]} */
const wireRatios = [];
for (const name of Object.keys(ours[0] ?? {})) {
  const o = median(ours.map((x) => x[name] ?? Number.NaN));
  const g = median(go.map((x) => x[name] ?? Number.NaN));
  wireRatios.push(o / g);
  console.log(`${name.padEnd(22)}${o.toFixed(0).padStart(12)}${g.toFixed(0).padStart(12)}${(o / g).toFixed(2).padStart(10)}`);
}
const geomean = Math.exp(wireRatios.reduce((a, r) => a + Math.log(r), 0) / wireRatios.length);
summarize({
  bench: "swim-wire",
  figure: `memberlist wire encode/decode, ${wireRatios.length} operations`,
  cachecluster: "-",
  reference: "Go memberlist 0.2.2",
  ratio: `${Math.min(...wireRatios).toFixed(2)}–${Math.max(...wireRatios).toFixed(2)}x (geometric mean ${geomean.toFixed(2)}x)`,
  goal: "-",
});
