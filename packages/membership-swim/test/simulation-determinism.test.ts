import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Sim } from "./helpers/sim.js";

/** One run: 60 members join one by one under 5% loss, one crashes; returns every event and the traffic. */
async function run(seed: number): Promise<{ events: string[]; packets: number; bytes: number }> {
  const sim = new Sim({ seed, loss: 0.05, swim: { compress: false } });
  const members = await sim.grow(60);
  const events: string[] = [];
  for (const m of members) m.membership.onEvent((e) => events.push(`${e.at} ${m.name} ${e.type} ${e.member.id} ${e.member.incarnation}`));
  await sim.scheduler.runFor(10_000);
  sim.net.crash(members[7]!.host.ip);
  await sim.scheduler.runFor(30_000);
  await sim.stopAll();
  return { events, packets: sim.net.stats.packetsSent, bytes: sim.net.stats.bytesSent };
}

describe("SWIM simulations are deterministic", () => {
  it("the same seed gives the same events at the same virtual times, another seed does not", async () => {
    const first = await run(21);
    const second = await run(21);
    assert.ok(first.events.length > 60, `${first.events.length} events`);
    assert.deepEqual(second, first);
    assert.notDeepEqual(await run(22), first);
  });
});
