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
  it("with 10% packet loss and one member paused, no healthy member is declared dead", async () => {
    const sim = new Sim({ seed: 14, loss: 0.1, swim: { compress: false } });
    const members = await sim.settled(N);
    const paused = members[3]!;
    const wrongful: MembershipEvent[] = [];
    let pausedFailed = 0;
    for (const m of members) {
      m.membership.onEvent((e) => {
        if (e.type !== "fail") return;
        if (e.member.id === paused.name) pausedFailed++;
        else wrongful.push(e);
      });
    }
    await sim.scheduler.runFor(1000);
    sim.net.pause(paused.host.ip);
    await sim.scheduler.runFor(20_000);
    assert.ok(pausedFailed > N / 2, `the paused member was failed by ${pausedFailed} members`);
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
