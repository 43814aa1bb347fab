import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "@cachecluster/core";
import { SwimJoinError, SwimMembership, type SwimOptionsInput, type SwimPeer } from "../src/index.js";
import { Sim } from "./helpers/sim.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (payload: Uint8Array): string => new TextDecoder().decode(payload);
const names = (m: SwimMembership): string[] =>
  m
    .members()
    .map((x) => x.id)
    .sort();

/** A member whose hooks refuse every member whose name starts with `prefix`. */
const refusing = (prefix: string): SwimOptionsInput => ({
  notifyAlive: (peer) => (peer.id.startsWith(prefix) ? new Error(`no ${prefix} members here`) : undefined),
  notifyMerge: (peers) => (peers.some((p) => p.id.startsWith(prefix)) ? new Error(`not merging with ${prefix}`) : undefined),
});

describe("user state in push/pull (memberlist's LocalState / MergeRemoteState)", () => {
  it("crosses a join both ways with join = true, and later periodic push/pulls with join = false", async () => {
    const sim = new Sim({ seed: 31, swim: { pushPullIntervalMs: 2_000 } });
    const seen: Record<string, [string, boolean][]> = { a: [], b: [] };
    const withState = (name: string): SwimOptionsInput => ({
      localState: (join) => bytes(`${name}'s state (join: ${join})`),
      mergeRemoteState: (state, join) => seen[name]!.push([text(state), join]),
    });
    const a = sim.create("a", undefined, withState("a")).membership;
    const b = sim.create("b", undefined, withState("b")).membership;
    await a.start();
    await b.start();
    assert.equal(await sim.scheduler.settle(a.join([sim.seed(b)])), 1);
    assert.deepEqual(seen.a![0], ["b's state (join: true)", true], "the joiner gets the seed's state");
    assert.deepEqual(seen.b![0], ["a's state (join: true)", true], "the seed gets the joiner's");
    await sim.scheduler.runFor(10_000);
    assert.ok(
      seen.a!.some(([s, join]) => s === "b's state (join: false)" && !join),
      JSON.stringify(seen.a),
    );
    assert.ok(seen.b!.some(([s, join]) => s === "a's state (join: false)" && !join));
    await sim.stopAll();
  });

  it("a localState or mergeRemoteState that throws, or a state over maxUserStateBytes, is logged and counted; the members still merge", async () => {
    const sim = new Sim({ seed: 32 });
    const merged: string[] = [];
    const a = sim.create("a", undefined, {
      localState: () => {
        throw new Error("state bug");
      },
      mergeRemoteState: () => {
        throw new Error("merge bug");
      },
    }).membership;
    const b = sim.create("b", undefined, { localState: () => new Uint8Array(100), mergeRemoteState: (s) => merged.push(text(s)) }).membership;
    const c = sim.create("c", undefined, { localState: () => new Uint8Array(2048), maxUserStateBytes: 1024 }).membership;
    for (const m of [a, b, c]) await m.start();
    assert.equal(await sim.scheduler.settle(a.join([sim.seed(b)])), 1);
    assert.equal(await sim.scheduler.settle(c.join([sim.seed(b)])), 1);
    assert.deepEqual(names(a), ["a", "b"]);
    assert.equal(a.stats().delegateErrorsTotal, 2, "a's localState and mergeRemoteState threw");
    assert.equal(c.stats().delegateErrorsTotal, 1, "c's state was over its bound: sent as none");
    assert.deepEqual(merged, [], "b got no user state: a's threw, c's was too large");
    assert.deepEqual(names(b), ["a", "b", "c"]);
    await sim.stopAll();
  });

  it("a received state over maxUserStateBytes is not handed to mergeRemoteState", async () => {
    const sim = new Sim({ seed: 33 });
    const merged: number[] = [];
    const a = sim.create("a", undefined, { localState: () => new Uint8Array(4096) }).membership;
    const b = sim.create("b", undefined, { maxUserStateBytes: 4095, mergeRemoteState: (s) => merged.push(s.byteLength) }).membership;
    await a.start();
    await b.start();
    assert.equal(await sim.scheduler.settle(a.join([sim.seed(b)])), 1);
    assert.deepEqual(merged, []);
    assert.equal(b.stats().delegateErrorsTotal, 1);
    assert.deepEqual(names(b), ["a", "b"]);
    await sim.stopAll();
  });
});

describe("alive, merge and conflict hooks (memberlist's AliveDelegate, MergeDelegate, ConflictDelegate)", () => {
  it("notifyAlive sees each new member as a SwimPeer, and a member it refuses is never added", async () => {
    const sim = new Sim({ seed: 34 });
    const asked: SwimPeer[] = [];
    const gate = sim.create("gate", undefined, {
      notifyAlive: (peer) => {
        asked.push(peer);
        return peer.id === "intruder" ? new Error("not welcome") : undefined;
      },
    });
    const [friend, intruder] = [sim.create("friend"), sim.create("intruder")];
    for (const m of [gate, friend, intruder]) await m.membership.start();
    await sim.scheduler.settle(friend.membership.join([sim.seed(gate)]));
    await sim.scheduler.settle(intruder.membership.join([sim.seed(friend)]));
    await sim.scheduler.runFor(5_000);
    assert.deepEqual(names(gate.membership), ["friend", "gate"]);
    assert.deepEqual(names(friend.membership), ["friend", "gate", "intruder"], "only the gate refuses it");
    assert.ok(gate.membership.stats().aliveRefusedTotal > 0);
    const peer = asked.find((p) => p.id === "friend");
    assert.deepEqual(peer, { id: "friend", address: friend.membership.address, meta: peer?.meta, cacheUrl: "http://friend.test:9080", state: "alive" });
    assert.ok(!asked.some((p) => p.id === "gate"), "its own alive messages are not asked about");
    await sim.stopAll();
  });

  it("notifyMerge refusing on the joining side fails the join with problem merge-refused, and nothing is merged", async () => {
    const sim = new Sim({ seed: 35 });
    const joiner = sim.create("y0", undefined, refusing("x")).membership;
    const seed = sim.create("x0").membership;
    await joiner.start();
    await seed.start();
    const error = await sim.scheduler.settle(
      joiner.join([sim.seed(seed)]).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    assert.ok(error instanceof SwimJoinError, String(error));
    assert.equal(error.problem, "merge-refused");
    assert.match(error.message, /notifyMerge refused to merge: not merging with x/);
    assert.deepEqual(names(joiner), ["y0"]);
    assert.equal(joiner.stats().mergesRefusedTotal, 1);
    assert.equal(joiner.diagnose(), undefined, "a refusal is a decision, not a problem to diagnose");
    await sim.stopAll();
  });

  it("two clusters whose members refuse each other (merge and alive hooks) stay apart, through joins and periodic push/pulls", async () => {
    const sim = new Sim({ seed: 36, swim: { pushPullIntervalMs: 1_000 } });
    const xs = [sim.create("x0", undefined, refusing("y")), sim.create("x1", undefined, refusing("y"))];
    const ys = [sim.create("y0", undefined, refusing("x")), sim.create("y1", undefined, refusing("x"))];
    for (const m of [...xs, ...ys]) await m.membership.start();
    await sim.scheduler.settle(xs[1]!.membership.join([sim.seed(xs[0]!)]));
    await sim.scheduler.settle(ys[1]!.membership.join([sim.seed(ys[0]!)]));
    await assert.rejects(sim.scheduler.settle(ys[0]!.membership.join([sim.seed(xs[0]!)])), SwimJoinError);
    await assert.rejects(sim.scheduler.settle(xs[1]!.membership.join([sim.seed(ys[1]!)])), SwimJoinError);
    await sim.scheduler.runFor(15_000);
    for (const m of xs) assert.deepEqual(names(m.membership), ["x0", "x1"], m.name);
    for (const m of ys) assert.deepEqual(names(m.membership), ["y0", "y1"], m.name);
    assert.ok(xs[0]!.membership.stats().mergesRefusedTotal > 0, "the seed refused the joining cluster too");
    await sim.stopAll();
  });

  it("notifyConflict reports a second member claiming a known name from another address", async () => {
    const sim = new Sim({ seed: 37 });
    const conflicts: [SwimPeer, SwimPeer][] = [];
    const watcher = sim.create("watcher", undefined, { notifyConflict: (existing, other) => conflicts.push([existing, other]) });
    const first = sim.create("dup", "http://first.test:9080");
    const second = sim.create("dup", "http://second.test:9080");
    for (const m of [watcher, first, second]) await m.membership.start();
    await sim.scheduler.settle(first.membership.join([sim.seed(watcher)]));
    await sim.scheduler.settle(second.membership.join([sim.seed(watcher)]));
    assert.ok(conflicts.length > 0);
    const [existing, other] = conflicts[0]!;
    assert.deepEqual([existing.id, existing.address, existing.cacheUrl], ["dup", first.membership.address, "http://first.test:9080"]);
    assert.deepEqual([other.id, other.address, other.cacheUrl], ["dup", second.membership.address, "http://second.test:9080"]);
    assert.ok(watcher.membership.stats().conflicts > 0);
    await sim.stopAll();
  });

  it("a hook that throws or returns anything but nothing or an Error refuses, logged and counted", async () => {
    const sim = new Sim({ seed: 38 });
    const gate = sim.create("gate", undefined, {
      notifyAlive: ((peer: SwimPeer) => (peer.id === "b" ? Promise.resolve() : undefined)) as unknown as (peer: SwimPeer) => undefined,
      notifyMerge: (peers) => {
        if (peers.some((p) => p.id === "c")) throw new Error("hook bug");
      },
    }).membership;
    const [b, c] = [sim.create("b").membership, sim.create("c").membership];
    for (const m of [gate, b, c]) await m.start();
    await sim.scheduler.settle(gate.join([sim.seed(b)]));
    await assert.rejects(sim.scheduler.settle(gate.join([sim.seed(c)])), /hook bug/);
    assert.deepEqual(names(gate), ["gate"]);
    const stats = gate.stats();
    assert.ok(stats.aliveRefusedTotal > 0, "b's alive messages were refused");
    assert.equal(stats.delegateErrorsTotal, stats.aliveRefusedTotal + 1, "each Promise returned, and the throw, counted as the hook's bug");
    await sim.stopAll();
  });

  it("options that are not functions are a ConfigError naming them", () => {
    assert.throws(
      () => new SwimMembership({ notifyAlive: "yes" as never, localState: 3 as never }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /notifyAlive.*expected notifyAlive to be a function \(peer\) => Error \| undefined/s.test(e.message) &&
        /expected localState to be a function/.test(e.message),
    );
    assert.throws(() => new SwimMembership({ maxUserStateBytes: -1 }), /expected maxUserStateBytes to be >= 0/);
  });
});
