import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MembershipEvent } from "@cachecluster/core";
import { issuesOf } from "../src/swim-membership.js";
import { Sim } from "./helpers/sim.js";

const N = 5;

/** Members that joined one by one through the first, on a network that drops every datagram but carries streams. */
async function udpBlocked(seed: number) {
  const sim = new Sim({ seed, loss: 1 });
  const members = await sim.grow(N);
  const fails: MembershipEvent[] = [];
  for (const m of members) m.membership.onEvent((e) => e.type === "fail" && fails.push(e));
  return { sim, members, fails };
}

describe("UDP blocked between members, TCP open (memberlist's TCP fallback)", () => {
  it("members still form one cluster (joins and push/pull over TCP) and keep it: the TCP fallback ping saves every probe", async () => {
    const { sim, members, fails } = await udpBlocked(41);
    assert.ok(await sim.scheduler.runUntil(() => sim.converged(members, N), 180_000, 1000), "every member sees all through push/pull alone");
    await sim.scheduler.runFor(180_000);
    assert.ok(sim.converged(members, N));
    assert.deepEqual(
      fails.map((e) => e.member.id),
      [],
      "no member was declared failed",
    );
    for (const m of members) {
      const stats = m.membership.stats();
      assert.equal(stats.udpUnreachable, 1, `${m.name}: ${JSON.stringify(stats)}`);
      assert.ok(stats.tcpFallbackSuccessesTotal > 0 && stats.udpProbeFailuresTotal >= stats.tcpFallbackSuccessesTotal);
      assert.equal(stats.tcpOnlyMembers, N - 1);
      assert.deepEqual(
        issuesOf(m.membership).map((i) => [i.code, i.severity]),
        [["swim-udp-unreachable", "warning"]],
      );
      assert.match(m.membership.diagnose() ?? "", /UDP/, "the status page shows it as the membership's problem");
    }
    await sim.stopAll();
  });

  it("a crashed member is still found out: its TCP ping fails too, and every other member fails it", async () => {
    const { sim, members, fails } = await udpBlocked(42);
    assert.ok(await sim.scheduler.runUntil(() => sim.converged(members, N), 180_000, 1000));
    const victim = members[2]!;
    sim.net.crash(victim.host.ip);
    const others = members.filter((m) => m !== victim);
    assert.ok(await sim.scheduler.runUntil(() => sim.converged(others, N - 1), 180_000, 1000), "the others drop the crashed member");
    assert.deepEqual(new Set(fails.map((e) => e.member.id)), new Set([victim.name]));
    await sim.stopAll();
  });

  it("once UDP works again, the members say so and gossip takes over", async () => {
    const { sim, members } = await udpBlocked(43);
    assert.ok(await sim.scheduler.runUntil(() => sim.converged(members, N), 180_000, 1000));
    await sim.scheduler.runFor(10_000);
    assert.ok(members.every((m) => m.membership.stats().udpUnreachable === 1));
    sim.net.setLoss(0);
    await sim.scheduler.runFor(10_000);
    assert.ok(members.every((m) => m.membership.stats().udpUnreachable === 0));
    const settled = members.map((m) => m.membership.stats().tcpFallbackSuccessesTotal);
    await sim.scheduler.runFor(20_000);
    assert.deepEqual(
      members.map((m) => m.membership.stats().tcpFallbackSuccessesTotal),
      settled,
      "no probe needs the TCP fallback any more",
    );
    assert.ok(members.every((m) => issuesOf(m.membership).length === 0 && m.membership.diagnose() === undefined));
    await sim.stopAll();
  });
});
