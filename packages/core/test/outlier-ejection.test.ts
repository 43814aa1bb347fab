import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PeerError, type PeerValue, type TransportClient } from "../src/index.js";
import { CacheGroup } from "../src/engine/group.js";
import { PeerOutliers } from "../src/engine/peer-outliers.js";

const OWNER = "http://owner:9080";
const timeout = () => new PeerError(OWNER, "GET /_groupcache/g/k: timed out: no complete answer within 2000 ms");

/** A client whose answers the test switches; it records the keys it was asked for. */
function client(): TransportClient & { asked: string[]; mode: "timeout" | "ok" | "loader-error" } {
  const c = {
    asked: [] as string[],
    mode: "timeout" as "timeout" | "ok" | "loader-error",
    async fetch(_peer: string, _group: string, key: string): Promise<PeerValue> {
      c.asked.push(key);
      if (c.mode === "timeout") throw timeout();
      if (c.mode === "loader-error") throw new PeerError(OWNER, "server returned 500: no such row", { status: 500 });
      return { value: new TextEncoder().encode(`peer:${key}`) };
    },
    remove: async () => {},
    set: async () => {},
  };
  return c;
}

function setup(ejectAfter = 3) {
  let now = 1_000_000;
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, error() {}, warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? "") };
  const outliers = new PeerOutliers({ ejectAfter, ejectMs: 5000, maxEjectMs: 60_000 }, { now: () => now, logger });
  const c = client();
  const group = new CacheGroup("g", { load: (k) => `local:${k}`, hotPolicy: () => false }, { picker: { pickPeer: () => OWNER }, client: c, outliers, logger });
  return { group, c, outliers, warnings, advance: (ms: number) => void (now += ms) };
}

describe("outlier ejection of failing peers", () => {
  it("after 3 fetches in a row time out, the peer is skipped: its keys load here without asking it", async () => {
    const { group, c, outliers, warnings } = setup();
    for (let i = 0; i < 3; i++) assert.equal(await group.getString(`a${i}`), `local:a${i}`);
    assert.equal(c.asked.length, 3);
    assert.ok(outliers.isEjected(OWNER));
    for (let i = 0; i < 20; i++) assert.equal(await group.getString(`b${i}`), `local:b${i}`);
    assert.equal(c.asked.length, 3, "an ejected peer was asked");
    assert.equal(warnings.filter((w) => w.includes("fetches in a row")).length, 1, warnings.join("\n"));
  });

  it("after the cooling-off one fetch probes the peer; success brings it back", async () => {
    const { group, c, outliers, advance } = setup();
    for (let i = 0; i < 3; i++) await group.get(`a${i}`);
    c.mode = "ok";
    advance(4999);
    await group.get("still-cooling");
    assert.equal(c.asked.length, 3);
    advance(2);
    const [probe, meanwhile] = await Promise.all([group.getString("probe"), group.getString("meanwhile")]);
    assert.deepEqual([probe, meanwhile], ["peer:probe", "local:meanwhile"], "one probe at a time, the rest load here");
    assert.equal(outliers.isEjected(OWNER), false);
    assert.equal(await group.getString("after"), "peer:after");
  });

  it("a failed probe ejects the peer again for twice as long", async () => {
    const { group, c, outliers, advance } = setup();
    for (let i = 0; i < 3; i++) await group.get(`a${i}`);
    advance(5001);
    await group.get("probe");
    assert.equal(c.asked.length, 4);
    assert.equal(outliers.ejected()[0]?.ejections, 2);
    advance(9999);
    await group.get("cooling");
    assert.equal(c.asked.length, 4);
    advance(2);
    await group.get("probe-2");
    assert.equal(c.asked.length, 5);
  });

  it("a peer whose loader fails (500) is working: it is never ejected", async () => {
    const { group, c, outliers } = setup();
    c.mode = "loader-error";
    for (let i = 0; i < 10; i++) await group.get(`k${i}`);
    assert.equal(c.asked.length, 10);
    assert.equal(outliers.isEjected(OWNER), false);
  });

  it("eject_after = 0 never skips a peer", async () => {
    const { group, c } = setup(0);
    for (let i = 0; i < 10; i++) await group.get(`k${i}`);
    assert.equal(c.asked.length, 10);
  });
});
