import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { SwimMembership, type SwimOptionsInput } from "../src/index.js";
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
});
