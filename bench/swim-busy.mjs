#!/usr/bin/env node
// Gossip that survives a busy process: false suspicions of healthy members, a 10-member cachecluster cluster
// next to a 10-member Go memberlist 0.2.2 cluster (packages/testing/go/memberlist-peer), both with memberlist's
// DefaultLANConfig timings (probe 1 s, timeout 500 ms), one process per member on loopback, in the same run.
//  (a) CPU starvation: `--hogs` CPU hogs (default 8) at nice 0 while every member runs at nice 10, both clusters at
//      once for `--hog-seconds` (default 45; the issue's experiment used 120). Counted per side: suspicions (a probe
//      that failed and made its member suspect another; every member is alive) and deaths (fail events).
//  (b) Stalls while a probe is in flight: one member (a different one each time) stops right after it sends a ping,
//      while the ping is in flight (SIGSTOP for both kinds, resumed with SIGCONT after the stall; for cachecluster
//      also an in-process busy-wait of the event loop), for each of `--stalls` seconds (default 0.25,0.5,1,2,4,6),
//      `--repeats` times (default 2). An episode counts when a healthy member (not the stalled one) got suspected
//      by anyone from the stall until `--settle` seconds (default 3) after it.
// Run after `pnpm build`, inside a private network namespace on a shared machine:
//   unshare -n sh -c 'ip link set lo up && node bench/swim-busy.mjs'   [--hog-seconds 120] [--repeats 6]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { buildGoProgram } from "../packages/testing/dist/src/go.js";
import { arg, procCpuMicros, summarize } from "./_lib.mjs";
import { pollUntil, swimCluster } from "./_swim-cluster.mjs";

/** @typedef {import("../packages/membership-swim/dist/test/helpers/processes.js").MemberProcess} MemberProcess */

const MEMBERS = Number(arg("members", "10"));
const HOGS = Number(arg("hogs", "8"));
const HOG_SECONDS = Number(arg("hog-seconds", "45"));
const STALLS = arg("stalls", "0.25,0.5,1,2,4,6").split(",").map(Number);
const REPEATS = Number(arg("repeats", "2"));
const SETTLE_SECONDS = Number(arg("settle", "3"));
const MEMBER_NICE = ["nice", "-n", "10"];
const goBinary = await buildGoProgram("memberlist-peer");

/** @typedef {import("./_swim-cluster.mjs").Kind} Kind */
/** @type {Record<Kind, string>} */
const LABEL = { ts: "cachecluster", go: "Go memberlist" };

/**
 * Suspicions (failed probes) and deaths of members other than `except`, by any member, after `since`.
 * @param {MemberProcess[]} members
 * @param {number} since
 * @param {string} [except]
 */
function falseAlarms(members, since, except) {
  let suspicions = 0;
  let deaths = 0;
  for (const p of members) {
    suspicions += p.suspects.filter((s) => s.at >= since && s.id !== except).length;
    deaths += p.events.filter((e) => e.event === "fail" && e.at >= since && e.id !== except).length;
  }
  return { suspicions, deaths };
}

/** Whether process `pid` is stopped (state T in /proc/<pid>/stat). @param {number} pid */
function stopped(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
  } catch {
    return false;
  }
}

/**
 * One stall episode on `victim`: arm it, wait until it stalled with a ping in flight, resume it after
 * `seconds` (a stop), let the cluster settle; whether a healthy member got suspected meanwhile.
 * @param {MemberProcess[]} members
 * @param {MemberProcess} victim
 * @param {"stop" | "busy"} how
 * @param {number} seconds
 */
async function episode(members, victim, how, seconds) {
  const since = Date.now();
  const stallsBefore = victim.stalls.length;
  victim.send(how === "stop" ? "arm-stop" : `arm-busy ${Math.round(seconds * 1000)}`);
  const pid = victim.child.pid ?? 0;
  const began = await pollUntil(() => victim.stalls.length > stallsBefore && (how === "busy" || stopped(pid)), 15_000);
  if (!began) throw new Error(`${victim.name} did not stall (${how})`);
  await sleep(seconds * 1000);
  if (how === "stop") victim.child.kill("SIGCONT");
  await sleep(SETTLE_SECONDS * 1000);
  const alarms = falseAlarms(members, since, victim.name);
  const byVictim = victim.suspects.filter((s) => s.at >= since && s.id !== victim.name).length;
  return { suspected: alarms.suspicions > 0, byVictim, ...alarms };
}

/**
 * `--repeats` rounds of every stall length on members of `kinds` (each its own cluster, in parallel).
 * @param {Record<Kind, MemberProcess[]>} clusters
 * @param {Kind[]} kinds
 * @param {"stop" | "busy"} how
 */
async function stallEpisodes(clusters, kinds, how) {
  /** @type {Map<string, { episodes: number, suspected: number, byVictim: number, suspicions: number, deaths: number }>} */
  const results = new Map();
  let turn = 0;
  for (let r = 0; r < REPEATS; r++) {
    for (const seconds of STALLS) {
      const victimIndex = turn++ % MEMBERS;
      const outcomes = await Promise.all(
        kinds.map((kind) => {
          const members = clusters[kind];
          return episode(members, /** @type {MemberProcess} */ (members[victimIndex]), how, seconds);
        }),
      );
      kinds.forEach((kind, i) => {
        const o = /** @type {Awaited<ReturnType<typeof episode>>} */ (outcomes[i]);
        const key = `${kind} ${seconds}`;
        const acc = results.get(key) ?? { episodes: 0, suspected: 0, byVictim: 0, suspicions: 0, deaths: 0 };
        acc.episodes++;
        if (o.suspected) acc.suspected++;
        acc.byVictim += o.byVictim;
        acc.suspicions += o.suspicions;
        acc.deaths += o.deaths;
        results.set(key, acc);
      });
    }
  }
  return results;
}

/**
 * CPU seconds (user + system, all threads) that process `pid` has used, from /proc/<pid>/stat (clock ticks of 10 ms).
 * @param {number} pid
 */
function cpuSeconds(pid) {
  try {
    return procCpuMicros(pid) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/**
 * Mean CPU milliseconds per member per second of wall time while `during` runs.
 * @param {MemberProcess[]} members
 * @param {() => Promise<void>} during
 */
async function cpuPerMemberSecond(members, during) {
  const before = members.map((p) => cpuSeconds(p.child.pid ?? 0));
  const start = Date.now();
  await during();
  const seconds = (Date.now() - start) / 1000;
  const used = members.reduce((a, p, i) => a + cpuSeconds(p.child.pid ?? 0) - (before[i] ?? 0), 0);
  return (1000 * used) / members.length / seconds;
}

/** `n` busy loops at nice 0 (sha256 of an endless stream: CPU only). @param {number} n */
function startHogs(n) {
  return Array.from({ length: n }, () => spawn("nice", ["-n", "0", "sha256sum", "/dev/zero"], { stdio: "ignore" }));
}

/** @type {Record<Kind, MemberProcess[]>} */
const clusters = {
  ts: await swimCluster("ts", MEMBERS, "ts", { goBinary, launcher: MEMBER_NICE }),
  go: await swimCluster("go", MEMBERS, "go", { goBinary, goArgs: ["-json-log", "-stall-hooks"], launcher: MEMBER_NICE }),
};
const all = [...clusters.ts, ...clusters.go];
try {
  await sleep(3000); // let the joins settle
  // what a member costs when nothing happens: the CPU a starved member has to get to keep up
  /** @type {Record<Kind, number>} */
  const idleCpu = { ts: 0, go: 0 };
  await Promise.all(
    /** @type {Kind[]} */ (["ts", "go"]).map(async (kind) => {
      idleCpu[kind] = await cpuPerMemberSecond(clusters[kind], () => sleep(10_000));
    }),
  );
  console.log(
    `idle cluster of ${MEMBERS}: CPU per member ${idleCpu.ts.toFixed(1)} ms/s (cachecluster), ${idleCpu.go.toFixed(1)} ms/s (Go memberlist); ` +
      `the members' JSON-lines reporting included`,
  );

  // (a) CPU starvation
  const hogStart = Date.now();
  const hogs = startHogs(HOGS);
  /** @type {Record<Kind, number>} */
  const starvedCpu = { ts: 0, go: 0 };
  await Promise.all(
    /** @type {Kind[]} */ (["ts", "go"]).map(async (kind) => {
      starvedCpu[kind] = await cpuPerMemberSecond(clusters[kind], () => sleep(HOG_SECONDS * 1000));
    }),
  );
  for (const hog of hogs) hog.kill("SIGKILL");
  const hogWindowEnd = Date.now();
  await sleep(2000); // what was decided during the window but printed late
  /** @type {Record<Kind, { suspicions: number, deaths: number }>} */
  const starved = { ts: falseAlarms(clusters.ts, hogStart), go: falseAlarms(clusters.go, hogStart) };
  const stalls = clusters.ts.reduce((a, p) => a + (p.stats.stallsTotal ?? 0), 0);
  const worst = Math.max(...clusters.ts.map((p) => p.stats.maxTimerLatenessMs ?? 0));
  console.log(
    `(a) ${HOGS} CPU hogs at nice 0, ${MEMBERS} members of each kind at nice 10, ${Math.round((hogWindowEnd - hogStart) / 1000)} s, both clusters at once`,
  );
  console.log("impl            false suspicions   false deaths   CPU per member (ms/s)");
  for (const kind of /** @type {Kind[]} */ (["ts", "go"])) {
    console.log(
      `${LABEL[kind].padEnd(15)} ${String(starved[kind].suspicions).padStart(16)} ${String(starved[kind].deaths).padStart(14)} ${starvedCpu[kind].toFixed(1).padStart(23)}`,
    );
  }
  console.log(`cachecluster members noticed ${stalls} stalls of their own; worst timer lateness ${worst} ms`);
  summarize({
    bench: "swim-busy",
    figure: `false suspicions, ${MEMBERS} members at nice 10 under ${HOGS} CPU hogs, ${HOG_SECONDS} s`,
    cachecluster: String(starved.ts.suspicions),
    reference: `Go memberlist ${starved.go.suspicions}`,
    ratio: "-",
    goal: "<= Go",
  });

  await sleep(5000); // let the health scores come back down

  // (b) stalls while a probe is in flight
  const stops = await stallEpisodes(clusters, ["ts", "go"], "stop");
  const busy = await stallEpisodes(clusters, ["ts"], "busy");
  console.log(`\n(b) one member stalled while its ping is in flight, ${REPEATS} episodes per length; settle ${SETTLE_SECONDS} s after`);
  console.log("episodes in which a healthy member got suspected (suspicions of healthy members by the stalled one / by anyone; deaths)");
  console.log("stall s   cachecluster SIGSTOP      Go memberlist SIGSTOP     cachecluster busy-wait");
  /** @type {(m: typeof stops, key: string) => string} */
  const cell = (m, key) => {
    const r = m.get(key);
    return r === undefined ? "-" : `${r.suspected}/${r.episodes} (${r.byVictim}/${r.suspicions}; ${r.deaths})`;
  };
  /** @type {Record<string, { suspected: number, episodes: number }>} */
  const totals = { tsStop: { suspected: 0, episodes: 0 }, goStop: { suspected: 0, episodes: 0 }, tsBusy: { suspected: 0, episodes: 0 } };
  for (const seconds of STALLS) {
    console.log(
      `${String(seconds).padStart(7)}   ${cell(stops, `ts ${seconds}`).padEnd(25)} ${cell(stops, `go ${seconds}`).padEnd(25)} ${cell(busy, `ts ${seconds}`)}`,
    );
    for (const [name, m, key] of /** @type {const} */ ([
      ["tsStop", stops, `ts ${seconds}`],
      ["goStop", stops, `go ${seconds}`],
      ["tsBusy", busy, `ts ${seconds}`],
    ])) {
      const r = m.get(key);
      const t = totals[name];
      if (r !== undefined && t !== undefined) {
        t.suspected += r.suspected;
        t.episodes += r.episodes;
      }
    }
  }
  /** @type {(t: { suspected: number, episodes: number } | undefined) => string} */
  const of = (t) => (t === undefined ? "-" : `${t.suspected}/${t.episodes}`);
  console.log(`all       ${of(totals.tsStop).padEnd(25)} ${of(totals.goStop).padEnd(25)} ${of(totals.tsBusy)}`);
  summarize({
    bench: "swim-busy",
    figure: `stall episodes (${STALLS.join("/")} s) with a healthy member suspected, SIGSTOP`,
    cachecluster: of(totals.tsStop),
    reference: `Go memberlist ${of(totals.goStop)}`,
    ratio: "-",
    goal: "<= Go",
  });
} finally {
  for (const p of all) await p.kill("SIGKILL");
}
