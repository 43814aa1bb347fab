#!/usr/bin/env node
// SWIM on the in-memory network (virtual time, LAN defaults: 1 s protocol period): dissemination time
// of a join, crash-detection time, and per-member load, vs cluster size. Run after `npx tsc -b
// packages/membership-swim`:  node bench/swim-sim.mjs [sizes, default 10,100,1000]
import { MemoryNetwork } from "../packages/testing/dist/src/memory-network.js";
import { SwimMembership } from "../packages/membership-swim/dist/src/index.js";
import { settleMembers } from "../packages/membership-swim/dist/src/swim-membership.js";
import { summarize } from "./_lib.mjs";

const sizes = (process.argv[2] ?? "10,100,1000").split(",").map(Number);
const PERIOD = 1000;
const live = (/** @type {string | undefined} */ s) => s === "alive" || s === "suspect";

/**
 * @param {number} n
 * @param {number} seed
 */
async function run(n, seed) {
  const net = new MemoryNetwork({ seed });
  const make = (/** @type {string} */ name) => {
    const host = net.host();
    const m = new SwimMembership(
      { name, port: 7946, compress: false },
      { local: { name, host: host.ip, cacheUrl: `http://${host.ip}:9080` }, network: host.network, clock: host.clock, random: host.random },
    );
    return { name, host, m };
  };
  const members = Array.from({ length: n }, (_, i) => make(`m${i}`));
  for (const x of members) await x.m.start();
  settleMembers(members.map((x) => x.m));
  const sched = net.scheduler;
  await sched.runFor(5 * PERIOD);

  // steady-state load over 20 periods
  const sum = () =>
    members.reduce(
      (a, x) => {
        const s = x.m.stats();
        a.p += s.packetsSent;
        a.b += s.bytesSent;
        a.msg += s.messagesReceived;
        return a;
      },
      { p: 0, b: 0, msg: 0 },
    );
  const s0 = { ...sum(), sb: net.stats.streamBytes };
  await sched.runFor(20 * PERIOD);
  const s1 = { ...sum(), sb: net.stats.streamBytes };
  const per = (/** @type {"p" | "b" | "msg" | "sb"} */ k) => (s1[k] - s0[k]) / n / 20;

  // dissemination of a join
  const joiner = make("joiner");
  await joiner.m.start();
  const tJoin = sched.now();
  await sched.settle(joiner.m.join([{ host: members[0]?.host.ip ?? "", clusterPort: 7946 }]));
  /** @type {number | undefined} */
  let firstJoin;
  await sched.runUntil(
    () => {
      const seen = members.filter((x) => live(x.m.member("joiner")?.state)).length;
      if (firstJoin === undefined && seen > 1) firstJoin = sched.now() - tJoin;
      return seen === n;
    },
    120_000,
    10,
  );
  const joinAll = sched.now() - tJoin;
  await sched.runFor(30 * PERIOD);

  // crash detection
  const victim = /** @type {ReturnType<typeof make>} */ (members[1]);
  const others = [...members.filter((x) => x !== victim), joiner];
  /** @type {number | undefined} */
  let firstFail;
  for (const x of others)
    x.m.onEvent((e) => {
      if (e.type === "fail" && e.member.id === victim.name && firstFail === undefined) firstFail = sched.now();
    });
  net.crash(victim.host.ip);
  const tCrash = sched.now();
  const ok = await sched.runUntil(() => others.every((x) => !live(x.m.member(victim.name)?.state)), 600_000, 10);
  const failAll = sched.now() - tCrash;
  const falsePositives = others.reduce((a, x) => a + x.m.stats().deaths, 0) - others.length;
  for (const x of [...members, joiner]) await x.m.stop();
  return {
    n,
    ok,
    joinFirst: (firstJoin ?? Number.NaN) / PERIOD,
    joinAll: joinAll / PERIOD,
    failFirst: ((firstFail ?? Number.NaN) - tCrash) / PERIOD,
    failAll: failAll / PERIOD,
    pkts: per("p"),
    bytes: per("b"),
    msgs: per("msg"),
    streamBytes: per("sb"),
    falsePositives,
  };
}

console.log("SWIM simulation, memberlist LAN defaults (period = probe interval = 1 s), virtual time");
console.log(
  "N      join seen by all   crash: first fail  all failed   per member per period (steady): packets sent  bytes sent (UDP)  bytes (TCP push/pull)  messages received   false deaths   wall s",
);
for (const n of sizes) {
  const t = performance.now();
  const r = await run(n, 42 + n);
  summarize({
    bench: "swim-sim",
    figure: `N = ${n}: crash seen by all, periods; packets/member/period; false deaths`,
    cachecluster: `${r.failAll.toFixed(1)}; ${r.pkts.toFixed(2)}; ${r.falsePositives}`,
    reference: "memberlist's suspicion bounds (line below the table)",
    ratio: "-",
    goal: "0 false deaths",
  });
  console.log(
    `${String(n).padEnd(6)} ${r.joinAll.toFixed(2).padStart(8)} periods   ${r.failFirst.toFixed(2).padStart(8)} periods ${r.failAll.toFixed(2).padStart(8)} periods   ${r.pkts.toFixed(2).padStart(12)} ${r.bytes.toFixed(0).padStart(12)} ${r.streamBytes.toFixed(0).padStart(14)} ${r.msgs.toFixed(2).padStart(12)} ${String(r.falsePositives).padStart(14)} ${((performance.now() - t) / 1000).toFixed(1).padStart(8)}${r.ok ? "" : "  (not all detected)"}`,
  );
}
console.log("memberlist's scaling: suspicion timeout min = 4 * max(1, log10 N) periods, max = 6x min; retransmits = 4 * ceil(log10(N+1))");
