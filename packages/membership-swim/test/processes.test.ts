import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { FAST, pollUntil } from "./helpers/real.js";
import { MemberProcess } from "./helpers/processes.js";

const OPTIONS = { ...FAST, host: undefined, port: undefined, advertise: undefined };

describe("SWIM members in separate processes on loopback", () => {
  const all: MemberProcess[] = [];
  after(async () => {
    for (const p of all) await p.kill();
  });

  async function cluster(prefix: string, n: number): Promise<MemberProcess[]> {
    const seed = new MemberProcess(`${prefix}0`, [], OPTIONS);
    all.push(seed);
    await seed.ready();
    const rest = Array.from({ length: n - 1 }, (_, i) => new MemberProcess(`${prefix}${i + 1}`, [seed.address], OPTIONS));
    all.push(...rest);
    await Promise.all(rest.map((p) => p.ready()));
    const members = [seed, ...rest];
    assert.ok(await pollUntil(() => members.every((p) => p.members.length === n), 15_000), `views: ${members.map((p) => p.members.length).join(",")}`);
    return members;
  }

  it("kill -9 of one of 5 members: the other 4 fail it and drop it", async () => {
    const members = await cluster("k", 5);
    const victim = members[3]!;
    await victim.kill("SIGKILL");
    const survivors = members.filter((p) => p !== victim);
    assert.ok(await pollUntil(() => survivors.every((p) => p.members.length === 4 && !p.members.includes(victim.name)), 15_000));
    for (const p of survivors)
      assert.ok(
        p.events.some((e) => e.event === "fail" && e.id === victim.name),
        `${p.name} emitted fail`,
      );
    assert.ok(
      survivors.every((p) => !p.events.some((e) => e.event === "fail" && e.id !== victim.name)),
      "no other member failed",
    );
    for (const p of survivors) await p.kill();
  });

  it("SIGSTOP then SIGCONT: the stopped member is failed, then refutes and is alive everywhere again", async () => {
    const members = await cluster("s", 5);
    const sleeper = members[2]!;
    const others = members.filter((p) => p !== sleeper);
    sleeper.child.kill("SIGSTOP");
    assert.ok(await pollUntil(() => others.every((p) => !p.members.includes(sleeper.name)), 15_000), "the stopped member is dropped");
    sleeper.child.kill("SIGCONT");
    assert.ok(
      await pollUntil(() => members.every((p) => p.members.length === 5), 20_000),
      `views after SIGCONT: ${members.map((p) => p.members.join("|")).join(" / ")}`,
    );
    for (const p of others)
      assert.ok(
        p.events.some((e) => e.event === "join" && e.id === sleeper.name && e.at > 0),
        `${p.name} saw it come back`,
      );
    assert.ok(
      others.every((p) => !p.events.some((e) => e.event === "fail" && e.id !== sleeper.name)),
      "no other member failed",
    );
    for (const p of members) await p.kill();
  });
});
