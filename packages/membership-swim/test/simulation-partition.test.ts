import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Sim, type SimMember } from "./helpers/sim.js";

const N = 1000;
const live = (state: string | undefined): boolean => state === "alive" || state === "suspect";
/** Whether every member in `viewers` sees `target` as `alive`/`suspect` (wanted true) or not (false). */
const seesAll = (viewers: readonly SimMember[], target: string, wanted: boolean): boolean =>
  viewers.every((v) => v.name === target || live(v.membership.member(target)?.state) === wanted);

describe(`SWIM simulation with ${N} members on the in-memory network`, () => {
  it("members cut off by a partition are failed, and after it heals every member sees all again", async () => {
    const sim = new Sim({ seed: 13, swim: { compress: false } });
    const members = await sim.settled(N);
    await sim.scheduler.runFor(2000);
    const island = members.slice(0, 5);
    const mainland = members.slice(5);
    sim.net.partition(island.map((m) => m.host.ip));
    assert.ok(await sim.scheduler.runUntil(() => island.every((i) => seesAll(mainland, i.name, false)), 120_000, 500), "the mainland fails the island");
    sim.net.heal();
    const healed = sim.scheduler.now();
    const converged = (): boolean => members.every((m) => m.membership.memberCount() === N);
    assert.ok(await sim.scheduler.runUntil(converged, 180_000, 1000), "every member sees all 1,000 after the heal");
    const elapsed = sim.scheduler.now() - healed;
    await sim.stopAll();
    assert.ok(elapsed < 120_000, `convergence took ${elapsed} ms of virtual time`);
  });
});
