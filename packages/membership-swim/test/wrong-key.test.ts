import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryNetwork } from "@cachecluster/testing/memory-network";
import { SwimJoinError, SwimMembership, type SwimOptionsInput } from "../src/index.js";
import { installSettledView, issuesOf, selfState } from "../src/swim-membership.js";
import { Keyring, MessageType, encodePushPull, encodeStream, readStreamMessage } from "../src/wire/index.js";
import { recordingLogger } from "./helpers/parts.js";

const K1 = Buffer.alloc(32, 1).toString("base64");
const K2 = Buffer.alloc(32, 2).toString("base64");

function cluster() {
  const net = new MemoryNetwork({ seed: 31 });
  const member = async (name: string, options: SwimOptionsInput = {}) => {
    const host = net.host();
    const logger = recordingLogger();
    const membership = new SwimMembership(
      { name, port: 7946, ...options },
      { local: { name, host: host.ip, cacheUrl: `http://${host.ip}:9080` }, network: host.network, clock: host.clock, random: host.random, logger },
    );
    await membership.start();
    return { name, host, membership, logger, seed: { host: host.ip, clusterPort: 7946 } };
  };
  return { net, member };
}

const errorLines = (logger: ReturnType<typeof recordingLogger>): string[] => logger.lines.filter((l) => l.level === "error").map((l) => l.msg);

/** Write `bytes` on a stream to `address` and resolve with everything answered until the seed closes. */
async function rawExchange(net: MemoryNetwork, address: string, bytes: Uint8Array): Promise<Uint8Array> {
  const host = net.host();
  const socket = await host.network.bind(host.ip, 7946, { packet() {}, stream() {} });
  const conn = await net.scheduler.settle(socket.dial(address, 1000));
  const reply = new Promise<Uint8Array>((resolve) => {
    let buf = new Uint8Array(0);
    conn.setHandlers({ data: (c) => (buf = Uint8Array.from([...buf, ...c])), end: () => resolve(buf) });
  });
  conn.write(bytes);
  return net.scheduler.settle(reply);
}

describe("a wrong gossip key is an error (memberlist's Join returns one)", () => {
  it("join() through a seed with another key rejects saying the keys differ, and both sides count and log it once", async () => {
    const { net, member } = cluster();
    const seed = await member("seed", { secretKeys: [K1] });
    const joiner = await member("joiner", { secretKeys: [K2], reconnectIntervalMs: 1000 });
    const error = await net.scheduler.settle(joiner.membership.join([seed.seed])).then(
      () => assert.fail("join resolved"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SwimJoinError);
    assert.equal(error.code, "CACHECLUSTER_MEMBERSHIP_FAILED");
    assert.equal(error.problem, "keys-differ");
    assert.match(error.message, /cannot join through 10\.0\.0\.1:7946: .*the gossip keys differ/);
    assert.equal(joiner.membership.members().length, 1);
    // the reconnect loop keeps re-dialling the seed: still one error line per cause on each side
    await net.scheduler.runFor(10_000);
    await assert.rejects(net.scheduler.settle(joiner.membership.join([seed.seed])), SwimJoinError);
    assert.equal(errorLines(joiner.logger).length, 1, errorLines(joiner.logger).join("\n"));
    assert.match(errorLines(joiner.logger)[0]!, /push\/pull with 10\.0\.0\.1:7946 failed: .*gossip keys differ/);
    assert.equal(errorLines(seed.logger).length, 1, errorLines(seed.logger).join("\n"));
    assert.match(errorLines(seed.logger)[0]!, /cannot read a stream from 10\.0\.0\.2:\d+: remote state cannot be decrypted/);
    const stats = joiner.membership.stats();
    assert.ok(stats.decryptFailuresTotal >= 2 && stats.joinErrorsTotal === 2 && stats.gossipKeyMismatch === 1, JSON.stringify(stats));
    assert.ok(seed.membership.stats().errorRepliesTotal >= 2, "the seed answered each attempt with an error reply");
    assert.equal(joiner.membership.lastJoinError?.problem, "keys-differ");
    assert.deepEqual(
      issuesOf(joiner.membership).map((i) => [i.code, i.severity]),
      [["swim-gossip-key-mismatch", "error"]],
    );
    assert.deepEqual(
      issuesOf(seed.membership).map((i) => i.code),
      ["swim-gossip-key-mismatch"],
      "the seed, which sees only failed attempts, shows it too",
    );
    // core's Diagnosable: what the status page shows as the membership's problem and last error
    assert.match(joiner.membership.diagnose() ?? "", /^push\/pull with 10\.0\.0\.1:7946: .*the gossip keys differ$/);
    assert.match(seed.membership.diagnose() ?? "", /could not be read in the last minute .*the gossip keys differ$/);
    assert.match(joiner.membership.lastError()?.message ?? "", /^push\/pull with 10\.0\.0\.1:7946 failed: .*the gossip keys differ$/);
    const at = joiner.membership.lastError()?.at ?? -1;
    assert.ok(at > 0 && at <= net.scheduler.now(), `lastError at ${at}, now ${net.scheduler.now()}`);
    await joiner.membership.stop();
    await seed.membership.stop();
  });

  it("a member with no key and a seed with one (or the other way round) is an encryption mismatch", async () => {
    const { net, member } = cluster();
    const encrypted = await member("encrypted", { secretKeys: [K1] });
    const plain = await member("plain");
    await assert.rejects(net.scheduler.settle(plain.membership.join([encrypted.seed])), { name: "SwimJoinError", problem: "encryption-mismatch" });
    await assert.rejects(net.scheduler.settle(encrypted.membership.join([plain.seed])), (e: unknown) => {
      assert.ok(e instanceof SwimJoinError && e.problem === "encryption-mismatch");
      assert.match(e.message, /not encrypted .*it answered: "remote state is encrypted and encryption is not configured"/, "the seed's own reason is quoted");
      return true;
    });
  });

  it("unreachable seeds are not an error: join() resolves 0", async () => {
    const { net, member } = cluster();
    const lone = await member("lone", { secretKeys: [K1] });
    assert.equal(await net.scheduler.settle(lone.membership.join([{ host: "10.0.9.9", clusterPort: 7946 }])), 0);
    assert.deepEqual(issuesOf(lone.membership), []);
    assert.equal(lone.membership.diagnose(), undefined);
    assert.equal(lone.membership.lastError(), undefined);
    assert.equal(lone.membership.lastJoinError, undefined);
  });

  it("one good seed is enough to join; the seed with the wrong key is still reported, until it is fixed", async () => {
    const { net, member } = cluster();
    const good = await member("good", { secretKeys: [K1] });
    const bad = await member("bad", { secretKeys: [K2] });
    const joiner = await member("joiner", { secretKeys: [K1] });
    assert.equal(await net.scheduler.settle(joiner.membership.join([good.seed, bad.seed])), 1);
    assert.equal(joiner.membership.lastJoinError?.seeds[0]?.address, "10.0.0.2:7946");
    assert.equal(issuesOf(joiner.membership)[0]?.code, "swim-gossip-key-mismatch");
    await bad.membership.stop();
    const fixed = new SwimMembership(
      { name: "bad", port: 7946, secretKeys: [K1, K2] },
      { local: { name: "bad", host: bad.host.ip, cacheUrl: "http://x" }, network: bad.host.network, clock: bad.host.clock, random: bad.host.random },
    );
    await fixed.start();
    assert.equal(await net.scheduler.settle(joiner.membership.join([bad.seed])), 1, "a seed that holds our key among its keys answers");
    assert.equal(joiner.membership.lastJoinError, undefined);
  });

  it("a stream that does not decrypt or decode gets memberlist's error reply, framed as the seed frames what it sends", async () => {
    const { net, member } = cluster();
    const seed = await member("seed", { secretKeys: [K1] });
    const wrongKey = encodeStream(encodePushPull({ join: true, states: [], userState: new Uint8Array(0) }), {
      keyring: new Keyring(Buffer.from(K2, "base64")),
    });
    const reply = readStreamMessage(await rawExchange(net, seed.membership.address, wrongKey), { keyring: new Keyring(Buffer.from(K1, "base64")) });
    assert.ok(reply.done && reply.message.type === MessageType.Err);
    assert.equal(reply.message.body.Error, "remote state cannot be decrypted: no installed keys could decrypt the message");
    const plainSeed = await member("plain-seed");
    const garbage = readStreamMessage(await rawExchange(net, plainSeed.membership.address, Uint8Array.of(MessageType.Suspect, 0x80)));
    assert.ok(garbage.done && garbage.message.type === MessageType.Err, "plaintext garbage gets a plaintext error reply");
    assert.match(garbage.message.body.Error, /not supported on a stream/);
  });

  it("datagrams under another key are counted and logged once; the issue lasts while they keep coming", async () => {
    const { net, member } = cluster();
    const a = await member("a", { secretKeys: [K1] });
    const b = await member("b", { secretKeys: [K2] });
    // b believes a is a member (as after a key rotation gone wrong) and probes and gossips to it
    installSettledView(b.membership, selfState(a.membership));
    await net.scheduler.runFor(10_000);
    assert.ok(a.membership.stats().decryptFailuresTotal >= 5, `${a.membership.stats().decryptFailuresTotal} datagrams`);
    assert.equal(errorLines(a.logger).length, 1);
    assert.match(errorLines(a.logger)[0]!, /cannot read a datagram from 10\.0\.0\.2:7946: cannot decrypt the datagram/);
    assert.equal(a.membership.stats().gossipKeyMismatch, 1);
    await b.membership.stop();
    await net.scheduler.runFor(61_000);
    assert.equal(a.membership.stats().gossipKeyMismatch, 0, "a minute after the last one, the problem is over");
    assert.deepEqual(issuesOf(a.membership), []);
    assert.equal(a.membership.diagnose(), undefined, "nothing wrong now");
    assert.match(a.membership.lastError()?.message ?? "", /a datagram from 10\.0\.0\.2:7946 cannot be read/, "the last error stays, as on the status page");
  });
});
