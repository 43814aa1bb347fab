import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MembershipEvent } from "@cachecluster/core";
import { Sim, type SimMember } from "./helpers/sim.js";

const N = 1000;
const live = (state: string | undefined): boolean => state === "alive" || state === "suspect";
/** Whether every member in `viewers` sees `target` as `alive`/`suspect` (wanted true) or not (false). */
const seesAll = (viewers: readonly SimMember[], target: string, wanted: boolean): boolean =>
  viewers.every((v) => v.name === target || live(v.membership.member(target)?.state) === wanted);

describe(`SWIM simulation with ${N} members on the in-memory network`, () => {
  it(`a join through one seed reaches all ${N} members`, async () => {
    const sim = new Sim({ seed: 11, swim: { compress: false } });
    const members = await sim.settled(N);
    await sim.scheduler.runFor(2000);
    const joiner = sim.create("joiner");
    await joiner.membership.start();
    const start = sim.scheduler.now();
    assert.equal(await sim.scheduler.settle(joiner.membership.join([sim.seed(members[0]!)])), 1);
    const all = [...members, joiner];
    assert.ok(await sim.scheduler.runUntil(() => seesAll(all, "joiner", true), 30_000, 100), "every member learns the join within 30 s");
    const elapsed = sim.scheduler.now() - start;
    assert.ok(joiner.membership.members().length === N + 1, `the joiner sees ${joiner.membership.members().length}`);
    await sim.stopAll();
    assert.ok(elapsed < 10_000, `dissemination took ${elapsed} ms of virtual time`);
  });

  it(`a crashed member is declared failed by all ${N - 1} others`, async () => {
    const sim = new Sim({ seed: 12, swim: { compress: false } });
    const members = await sim.settled(N);
    await sim.scheduler.runFor(2000);
    const victim = members[17]!;
    const fails = new Set<string>();
    for (const m of members) m.membership.onEvent((e) => e.type === "fail" && e.member.id === victim.name && fails.add(m.name));
    sim.net.crash(victim.host.ip);
    const start = sim.scheduler.now();
    const others = members.filter((m) => m !== victim);
    assert.ok(await sim.scheduler.runUntil(() => seesAll(others, victim.name, false), 120_000, 250), "every member drops the crashed one");
    const elapsed = sim.scheduler.now() - start;
    assert.equal(fails.size, N - 1, "each survivor emitted one fail event");
    const falseDeaths = others.reduce((sum, m) => sum + m.membership.stats().deaths, 0) - (N - 1);
    await sim.stopAll();
    assert.ok(falseDeaths <= 0, `no other member was declared dead (${falseDeaths} extra deaths)`);
    // suspicion: min 4 * log10(1000) * 1 s = 12 s, max 6x that; confirmations pull it toward min
    assert.ok(elapsed < 40_000, `detection took ${elapsed} ms of virtual time`);
  });

  it("members cut off by a partition are failed, and after it heals every member sees all again", async () => {
    const sim = new Sim({ seed: 13, swim: { compress: false } });
    const members = await sim.settled(N);
    await sim.scheduler.runFor(2000);
    const island = members.slice(0, 10);
    const mainland = members.slice(10);
    sim.net.partition(island.map((m) => m.host.ip));
    assert.ok(
      await sim.scheduler.runUntil(() => island.every((i) => seesAll(mainland, i.name, false)), 120_000, 500),
      "the mainland fails the island",
    );
    sim.net.heal();
    const healed = sim.scheduler.now();
    const converged = (): boolean => members.every((m) => m.membership.members().length === N);
    assert.ok(await sim.scheduler.runUntil(converged, 180_000, 1000), "every member sees all 1,000 after the heal");
    const elapsed = sim.scheduler.now() - healed;
    await sim.stopAll();
    assert.ok(elapsed < 120_000, `convergence took ${elapsed} ms of virtual time`);
  });

  it("with 10% packet loss and one member paused, no healthy member is declared dead", async () => {
    const sim = new Sim({ seed: 14, loss: 0.1, swim: { compress: false } });
    const members = await sim.settled(N);
    const paused = members[3]!;
    const wrongful: MembershipEvent[] = [];
    for (const m of members) m.membership.onEvent((e) => e.type === "fail" && e.member.id !== paused.name && wrongful.push(e));
    await sim.scheduler.runFor(2000);
    sim.net.pause(paused.host.ip);
    await sim.scheduler.runFor(25_000);
    sim.net.resume(paused.host.ip);
    // the paused member learns it was suspected or failed, refutes, and is alive again everywhere
    assert.ok(await sim.scheduler.runUntil(() => seesAll(members, paused.name, true), 90_000, 500), "the resumed member is alive again everywhere");
    await sim.stopAll();
    assert.deepEqual(
      wrongful.map((e) => e.member.id),
      [],
      "no healthy member was declared dead",
    );
    assert.ok(paused.membership.stats().refutations > 0, "the paused member refuted");
  });
});
