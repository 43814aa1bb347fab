import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildGoProgram } from "@cachecluster/testing/go";
import { SwimJoinError, SwimMembership, type SwimOptionsInput } from "../src/index.js";
import { issuesOf } from "../src/swim-membership.js";
import { recordingLogger } from "./helpers/parts.js";
import { MemberProcess } from "./helpers/processes.js";
import { FAST, pollUntil } from "./helpers/real.js";

const K1 = randomBytes(32).toString("base64");
const K2 = randomBytes(32).toString("base64");

describe("a wrong gossip key between cachecluster and a live Go memberlist 0.2.2 member", () => {
  let binary = "";
  const processes: MemberProcess[] = [];
  const members: SwimMembership[] = [];
  before(async () => {
    binary = await buildGoProgram("memberlist-peer");
  });
  after(async () => {
    for (const p of processes) await p.kill();
    for (const m of members) await m.stop();
  });

  function goMember(name: string, args: readonly string[], join: readonly string[] = []): MemberProcess {
    const p = new MemberProcess(name, join, {}, { binary, args: ["-json-log", ...args] });
    processes.push(p);
    return p;
  }

  async function nodeMember(name: string, options: SwimOptionsInput) {
    const logger = recordingLogger();
    const m = new SwimMembership({ ...FAST, ...options }, { local: { name, host: "127.0.0.1", cacheUrl: `http://127.0.0.1/${name}` }, logger });
    members.push(m);
    await m.start();
    return { m, logger, errors: () => logger.lines.filter((l) => l.level === "error").map((l) => l.msg) };
  }

  it("our member with the wrong key: join() rejects saying the keys differ; the Go seed logs why it refused us", async () => {
    const seed = goMember("go-seed", ["-key", K2]);
    await seed.ready();
    const node = await nodeMember("ts-joiner", { secretKeys: [K1] });
    const error = await node.m.join([{ host: "127.0.0.1", clusterPort: seed.port }]).then(
      () => assert.fail("join resolved"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SwimJoinError, String(error));
    assert.equal(error.problem, "keys-differ");
    assert.match(error.message, /cannot be decrypted with any of this member's secret keys: the gossip keys differ/);
    assert.deepEqual(node.errors().length, 1);
    assert.ok(node.m.stats().decryptFailuresTotal >= 1);
    assert.ok(
      await pollUntil(() => seed.logs.some((l) => /\[ERR\] memberlist: failed to receive: No installed keys could decrypt the message/.test(l)), 5000),
      seed.logs.join("\n"),
    );
  });

  it("a Go member with the wrong key: our error reply makes its Join fail on decryption (not EOF), and we log it once", async () => {
    const node = await nodeMember("ts-seed", { secretKeys: [K1] });
    const joiner = goMember("go-joiner", ["-key", K2], [node.m.address]);
    await joiner.ready();
    assert.ok(await pollUntil(() => joiner.joinError !== undefined, 5000));
    assert.match(joiner.joinError!, /Failed to join 127\.0\.0\.1: No installed keys could decrypt the message/);
    assert.ok(node.m.stats().errorRepliesTotal >= 1);
    assert.ok(node.m.stats().decryptFailuresTotal >= 1);
    assert.equal(node.errors().length, 1, node.errors().join("\n"));
    assert.match(node.errors()[0]!, /cannot read a stream from 127\.0\.0\.1:\d+: remote state cannot be decrypted/);
    assert.equal(issuesOf(node.m)[0]?.code, "swim-gossip-key-mismatch");
  });

  it("a Go member that does not encrypt reads our error text when we refuse its plaintext", async () => {
    // keys installed, incoming encryption required, outgoing not yet (a key rollout's middle step): our reply is readable
    const node = await nodeMember("ts-strict", { secretKeys: [K1], verifyIncoming: true, verifyOutgoing: false });
    const joiner = goMember("go-plain", [], [node.m.address]);
    await joiner.ready();
    assert.ok(await pollUntil(() => joiner.joinError !== undefined, 5000));
    assert.match(joiner.joinError!, /remote error: encryption is configured but remote state is not encrypted/);
  });

  it("our member without a key joining a Go seed with one: rejects as an encryption mismatch", async () => {
    const seed = goMember("go-encrypted", ["-key", K2]);
    await seed.ready();
    const node = await nodeMember("ts-plain", {});
    await assert.rejects(node.m.join([{ host: "127.0.0.1", clusterPort: seed.port }]), { name: "SwimJoinError", problem: "encryption-mismatch" });
  });
});
