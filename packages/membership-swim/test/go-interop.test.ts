import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildGoProgram } from "@cachecluster/testing/go";
import { MemberProcess } from "./helpers/processes.js";
import { FAST, pollUntil } from "./helpers/real.js";

/** The same fast timings on both sides (memberlist's LAN ratios, 5x faster). */
const TS_OPTIONS = { ...FAST, host: undefined, port: undefined, advertise: undefined };
const GO_ARGS = ["-probe-interval", "200", "-probe-timeout", "100", "-gossip-interval", "40", "-push-pull-interval", "6000", "-gossip-to-the-dead", "6000"];

for (const encrypted of [false, true]) {
  describe(`mixed clusters of Go memberlist 0.2.2 and cachecluster members${encrypted ? ", encrypted (AES-GCM)" : ""}`, () => {
    let binary = "";
    const key = randomBytes(32).toString("base64");
    const all: MemberProcess[] = [];
    before(async () => {
      binary = await buildGoProgram("memberlist-peer");
    });
    after(async () => {
      for (const p of all) await p.kill();
    });

    function spawnMember(kind: "go" | "ts", name: string, join: readonly string[]): MemberProcess {
      const p =
        kind === "ts"
          ? new MemberProcess(name, join, { ...TS_OPTIONS, ...(encrypted ? { secretKeys: [key] } : {}) })
          : new MemberProcess(
              name,
              join,
              {},
              { binary, args: [...GO_ARGS, "-meta", JSON.stringify({ cacheUrl: `http://127.0.0.1/${name}` }), ...(encrypted ? ["-key", key] : [])] },
            );
      all.push(p);
      return p;
    }

    async function mixed(prefix: string): Promise<MemberProcess[]> {
      const seed = spawnMember("go", `${prefix}-go0`, []);
      await seed.ready();
      const rest = [
        spawnMember("ts", `${prefix}-ts1`, [seed.address]),
        spawnMember("go", `${prefix}-go2`, [seed.address]),
        spawnMember("ts", `${prefix}-ts3`, [seed.address]),
      ];
      await Promise.all(rest.map((p) => p.ready()));
      const members = [seed, ...rest];
      const names = members
        .map((p) => p.name)
        .sort()
        .join();
      assert.ok(
        await pollUntil(() => members.every((p) => p.members.join() === names), 15_000),
        `views: ${members.map((p) => p.members.join("|")).join(" / ")}`,
      );
      return members;
    }

    it("all members agree on the membership and carry each other's metadata both ways", async () => {
      const members = await mixed(encrypted ? "em" : "m");
      const [go0, ts1, go2, ts3] = members as [MemberProcess, MemberProcess, MemberProcess, MemberProcess];
      for (const viewer of [ts1, ts3]) {
        for (const goMember of [go0, go2]) {
          const join = viewer.events.find((e) => e.event === "join" && e.id === goMember.name);
          assert.equal(join?.cacheUrl, `http://127.0.0.1/${goMember.name}`, `${viewer.name} reads ${goMember.name}'s metadata`);
        }
      }
      for (const viewer of [go0, go2]) {
        for (const tsMember of [ts1, ts3]) {
          const join = viewer.events.find((e) => e.event === "join" && e.id === tsMember.name);
          assert.deepEqual(
            JSON.parse(join?.meta ?? "null"),
            { cacheUrl: `http://127.0.0.1/${tsMember.name}` },
            `${viewer.name} carries ${tsMember.name}'s metadata`,
          );
        }
      }
      for (const p of members) await p.kill();
    });

    for (const victimKind of ["go", "ts"] as const) {
      it(`a killed ${victimKind === "go" ? "Go" : "cachecluster"} member is failed by members of both kinds`, async () => {
        const members = await mixed(`${encrypted ? "e" : ""}k${victimKind}`);
        const victim = victimKind === "go" ? members[2]! : members[1]!;
        await victim.kill("SIGKILL");
        const survivors = members.filter((p) => p !== victim);
        assert.ok(
          await pollUntil(() => survivors.every((p) => p.members.length === 3 && !p.members.includes(victim.name)), 20_000),
          `views: ${survivors.map((p) => p.members.join("|")).join(" / ")}`,
        );
        for (const p of survivors)
          assert.ok(
            p.events.some((e) => e.event === "fail" && e.id === victim.name),
            `${p.name} emitted fail for ${victim.name}`,
          );
        for (const p of survivors) await p.kill();
      });
    }
  });
}
