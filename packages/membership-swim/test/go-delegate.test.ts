import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { SwimJoinError, SwimMembership, type SwimOptionsInput, type SwimPeer } from "../src/index.js";
import { GoDelegate } from "./helpers/go-delegate.js";
import { FAST, pollUntil } from "./helpers/real.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (payload: Uint8Array): string => new TextDecoder().decode(payload);

const started: { stop(): Promise<void> | void }[] = [];
after(async () => {
  for (const s of started.splice(0)) await s.stop();
});

async function nodeMember(name: string, options: SwimOptionsInput = {}): Promise<SwimMembership> {
  const m = new SwimMembership({ ...FAST, ...options }, { local: { name, host: "127.0.0.1", cacheUrl: `http://127.0.0.1/${name}` } });
  await m.start();
  started.push(m);
  return m;
}

async function goMember(name: string, args: readonly string[] = []): Promise<GoDelegate> {
  const go = await GoDelegate.start(name, args);
  started.push({ stop: () => go.kill() });
  return go;
}

const seed = (go: GoDelegate) => ({ host: "127.0.0.1", clusterPort: go.port });

describe("memberlist delegate features against a live Go memberlist 0.2.2 member", () => {
  it("user messages cross both ways: broadcasts, SendBestEffort and SendReliable", async () => {
    const go = await goMember("um-go");
    const node = await nodeMember("um-node");
    const got: [string, string | undefined][] = [];
    node.onMessage((payload, from) => got.push([text(payload), from]));
    assert.equal(await node.join([seed(go)]), 1);
    assert.ok(await pollUntil(() => go.members.length === 2 && node.members().length === 2, 10_000), `Go sees ${go.members.join()}`);

    go.command({ broadcast: "from go's GetBroadcasts" });
    go.command({ sendBestEffort: "go best effort", to: "um-node" });
    go.command({ sendReliable: "go reliable ".repeat(1000), to: "um-node" });
    node.broadcast(bytes("from node's broadcast"));
    node.sendBestEffort("um-go", bytes("node best effort"));
    await node.sendReliable("um-go", bytes("node reliable ".repeat(1000)));

    const want = ["from go's GetBroadcasts", "go best effort", "go reliable ".repeat(1000)];
    assert.ok(await pollUntil(() => want.every((w) => got.some(([t]) => t === w)), 10_000), `Node got ${JSON.stringify(got.map(([t]) => t.slice(0, 30)))}`);
    assert.deepEqual(
      got.find(([t]) => t === "go best effort"),
      ["go best effort", "um-go"],
      "a datagram names its sender",
    );
    assert.deepEqual(
      got.find(([t]) => t === want[2]),
      [want[2], undefined],
      "a stream does not",
    );
    const goWant = ["from node's broadcast", "node best effort", "node reliable ".repeat(1000)];
    assert.ok(
      await pollUntil(() => goWant.every((w) => go.messages().includes(w)), 10_000),
      `Go got ${JSON.stringify(go.messages().map((t) => t.slice(0, 30)))}`,
    );
  });

  it("user state crosses push/pull both ways, on joins either side starts", async () => {
    const go = await goMember("us-go", ["-state", "go's state"]);
    const merged: [string, boolean][] = [];
    const node = await nodeMember("us-node", {
      localState: (join) => bytes(`node's state, join ${join}`),
      mergeRemoteState: (s, join) => merged.push([text(s), join]),
    });
    assert.equal(await node.join([seed(go)]), 1);
    assert.deepEqual(merged[0], ["go's state", true], "Node merged Go's LocalState");
    assert.ok(await pollUntil(() => go.lines.some((l) => l.remoteState !== undefined), 5_000));
    assert.deepEqual(
      go.lines.find((l) => l.remoteState !== undefined),
      { remoteState: "node's state, join true", join: true },
      "Go's MergeRemoteState got Node's localState",
    );
    const go2 = await goMember("us-go2", ["-state", "go2's state", "-join", node.address]);
    assert.ok(await pollUntil(() => merged.some(([s]) => s === "go2's state"), 5_000), JSON.stringify(merged));
    assert.deepEqual(
      merged.find(([s]) => s === "go2's state"),
      ["go2's state", true],
    );
    assert.ok(
      await pollUntil(() => go2.lines.some((l) => l.remoteState === "node's state, join true"), 5_000),
      "Node answers a join with its state for a join (the joiner's flag), as memberlist",
    );
  });

  it("merge and alive hooks on both sides keep a Go member and a Node member apart, whichever side joins", async () => {
    const go = await goMember("mr-go", ["-reject", "mr-node", "-push-pull-interval", "300"]);
    const refused: SwimPeer[][] = [];
    const node = await nodeMember("mr-node", {
      pushPullIntervalMs: 300,
      notifyMerge: (peers) => (peers.some((p) => p.id === "mr-go") ? (refused.push([...peers]), new Error("not merging with Go")) : undefined),
      notifyAlive: (peer) => (peer.id === "mr-go" ? new Error("no Go here") : undefined),
    });
    const error = await node.join([seed(go)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof SwimJoinError && error.problem === "merge-refused", String(error));
    assert.deepEqual(
      refused[0]?.map((p) => p.id),
      ["mr-go"],
    );
    assert.ok(await pollUntil(() => go.lines.some((l) => l.mergeRejected?.includes("mr-node") === true), 5_000), "Go's NotifyMerge refused Node's list");
    go.command({ join: node.address });
    assert.ok(await pollUntil(() => go.lines.some((l) => l.joinError !== undefined), 5_000), "Go's Join failed");
    assert.ok(await pollUntil(() => node.stats().mergesRefusedTotal >= 2, 5_000), "Node refused Go's list when answering");
    await pollUntil(() => false, 1_500); // several push/pull and gossip periods
    assert.deepEqual(go.members, ["mr-go"]);
    assert.deepEqual(
      node.members().map((m) => m.id),
      ["mr-node"],
    );
  });

  it("a Go merge delegate alone refuses the Node member on its side: Go never lists it", async () => {
    const go = await goMember("mg-go", ["-reject", "mg-node"]);
    const node = await nodeMember("mg-node");
    assert.equal(await node.join([seed(go)]), 1, "the join itself works: Go answers, and refuses afterwards, as memberlist does");
    assert.ok(await pollUntil(() => go.lines.some((l) => l.mergeRejected !== undefined), 5_000));
    assert.ok(await pollUntil(() => go.lines.some((l) => l.aliveRejected === "mg-node"), 5_000), "Node's alive gossip reached Go's NotifyAlive");
    await pollUntil(() => false, 500);
    assert.deepEqual(
      go.lines.flatMap((l) => l.members ?? []),
      ["mg-go"],
      "Go's member list never held mg-node",
    );
  });

  it("a name claimed from two addresses is reported by notifyConflict, and Go's NotifyConflict reports it too", async () => {
    const conflicts: [SwimPeer, SwimPeer][] = [];
    const node = await nodeMember("cf-node", { notifyConflict: (existing, other) => conflicts.push([existing, other]) });
    const first = await goMember("cf-dup", ["-join", node.address]);
    assert.ok(await pollUntil(() => node.members().length === 2, 5_000));
    const second = await goMember("cf-dup", ["-join", node.address]);
    assert.ok(await pollUntil(() => conflicts.length > 0, 5_000), "Node reports the conflict");
    const [existing, other] = conflicts[0]!;
    assert.deepEqual([existing.id, existing.address, other.id, other.address], ["cf-dup", first.address, "cf-dup", second.address]);
    assert.ok(
      await pollUntil(() => second.lines.some((l) => l.conflict !== undefined), 5_000),
      "the second Go member learns from Node's state that its name is taken",
    );
    assert.deepEqual(second.lines.find((l) => l.conflict !== undefined)?.conflict, { name: "cf-dup", existing: second.address, other: first.address });
  });
});
