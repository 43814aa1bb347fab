import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
});
