#!/usr/bin/env node
// Crash-detection time on loopback: N cachecluster members (one process each) vs N Go memberlist 0.2.2
// members (packages/testing/go/memberlist-peer), same config (memberlist DefaultLANConfig: probe 1 s, timeout 500 ms,
// gossip 200 ms), same run. One member is killed with SIGKILL; we time its "fail" event at the others.
// Run after `npx tsc -b packages/membership-swim`:  node bench/swim-loopback.mjs [sizes, default 10,30] [rounds, default 4]
import { setTimeout as sleep } from "node:timers/promises";
import { buildGoProgram } from "../packages/testing/dist/src/go.js";
import { summarize } from "./_lib.mjs";
import { pollUntil, swimCluster } from "./_swim-cluster.mjs";

const sizes = (process.argv[2] ?? "10,30").split(",").map(Number);
const rounds = Number(process.argv[3] ?? 4);
const goBinary = await buildGoProgram("memberlist-peer");

/** @typedef {import("./_swim-cluster.mjs").Kind} Kind */

/**
 * @param {Kind} kind
 * @param {number} n
 * @param {number} round
 */
async function measure(kind, n, round) {
  const members = await swimCluster(kind, n, `${kind}${n}r${round}-`, { goBinary });
  await sleep(3000); // let joins settle
  const victim = /** @type {import("../packages/membership-swim/dist/test/helpers/processes.js").MemberProcess} */ (members[Math.floor(n / 2)]);
  const survivors = members.filter((p) => p !== victim);
  const killedAt = Date.now();
  await victim.kill("SIGKILL");
  const ok = await pollUntil(() => survivors.every((p) => p.events.some((e) => e.event === "fail" && e.id === victim.name)), 90_000);
  const times = survivors
    .map((p) => p.events.find((e) => e.event === "fail" && e.id === victim.name)?.at)
    .filter((t) => t !== undefined)
    .map((t) => t - killedAt);
  const wrongful = survivors.reduce((a, p) => a + p.events.filter((e) => e.event === "fail" && e.id !== victim.name).length, 0);
  await Promise.all(survivors.map((p) => p.kill("SIGKILL")));
  return { ok, first: Math.min(...times) / 1000, all: Math.max(...times) / 1000, wrongful };
}

console.log("crash detection on loopback, memberlist DefaultLANConfig timings (probe interval 1 s); seconds from SIGKILL to the fail event");
console.log("N    impl          round  first member   all members   false fails");
for (const n of sizes) {
  /** @type {Record<Kind, Awaited<ReturnType<typeof measure>>[]>} */
  const results = { ts: [], go: [] };
  for (let round = 0; round < rounds; round++) {
    for (const kind of /** @type {Kind[]} */ (["go", "ts"])) {
      const r = await measure(kind, n, round);
      results[kind].push(r);
      console.log(
        `${String(n).padEnd(4)} ${(kind === "ts" ? "cachecluster" : "go memberlist").padEnd(13)} ${String(round + 1).padStart(5)} ${r.first.toFixed(2).padStart(12)} s ${r.all.toFixed(2).padStart(11)} s ${String(r.wrongful).padStart(12)}${r.ok ? "" : "  (not all detected)"}`,
      );
    }
  }
  const mean = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ts = mean(results.ts.map((r) => r.all));
  const go = mean(results.go.map((r) => r.all));
  console.log(`N=${n}: mean time until all detected: cachecluster ${ts.toFixed(2)} s, go memberlist ${go.toFixed(2)} s, ratio ${(ts / go).toFixed(2)}`);
  summarize({
    bench: "swim-loopback",
    figure: `s until all ${n} members see a SIGKILL (mean of ${rounds})`,
    cachecluster: ts.toFixed(2),
    reference: `Go memberlist ${go.toFixed(2)}`,
    ratio: `${(ts / go).toFixed(2)}x`,
    goal: "-",
  });
}
