import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Clock } from "@cachecluster/core";
import { VirtualScheduler } from "@cachecluster/testing/memory-network";
import { BroadcastQueue } from "../src/protocol/broadcast-queue.js";
import { Awareness } from "../src/protocol/awareness.js";
import { Suspicion } from "../src/protocol/suspicion.js";
import { Timers } from "../src/protocol/timers.js";
import { pushPullScale, remainingSuspicionTime, retransmitLimit, suspicionTimeout } from "../src/protocol/timing.js";
import { bytesToIp, ipToBytes } from "../src/protocol/addr.js";
import { decodeMeta, encodeMeta } from "../src/protocol/meta.js";

/** Running member timers on `clock`. */
function timersOn(clock: Clock): Timers {
  const timers = new Timers(clock, () => 0);
  timers.start();
  return timers;
}

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

describe("memberlist's scaling rules", () => {
  it("match util.go's values", () => {
    // values from memberlist util_test.go
    assert.equal(suspicionTimeout(3, 10, 1000), 3000);
    assert.equal(suspicionTimeout(3, 1000, 1000), 9000);
    assert.equal(suspicionTimeout(4, 1, 1000), 4000);
    assert.equal(retransmitLimit(3, 0), 0);
    assert.equal(retransmitLimit(3, 1), 3);
    assert.equal(retransmitLimit(3, 99), 6);
    assert.equal(retransmitLimit(4, 1000), 16);
    assert.equal(pushPullScale(30_000, 32), 30_000);
    assert.equal(pushPullScale(30_000, 33), 60_000);
    assert.equal(pushPullScale(30_000, 1000), 180_000);
  });

  it("remaining suspicion time follows suspicion.go", () => {
    // suspicion_test.go TestSuspicion_remainingSuspicionTime
    assert.equal(remainingSuspicionTime(0, 3, 0, 2000, 30_000), 30_000);
    assert.equal(remainingSuspicionTime(1, 3, 2000, 2000, 30_000), 14_000);
    assert.equal(remainingSuspicionTime(2, 3, 3000, 2000, 30_000), 4810);
    assert.equal(remainingSuspicionTime(3, 3, 4000, 2000, 30_000), -2000);
    assert.equal(remainingSuspicionTime(4, 3, 5000, 2000, 30_000), -3000);
    assert.equal(remainingSuspicionTime(5, 3, 10_000, 2000, 30_000), -8000);
  });
});

describe("Suspicion timer (Lifeguard)", () => {
  it("fires at max without confirmations, sooner with each new one, once per member", async () => {
    const s = new VirtualScheduler(0);
    let firedAt = -1;
    const clock = s.clock();
    const suspicion = new Suspicion(clock, timersOn(clock), "a", 3, 2000, 30_000, () => (firedAt = s.now()));
    await s.runFor(1000);
    assert.equal(suspicion.confirm("a"), false, "the accuser does not confirm itself");
    assert.equal(suspicion.confirm("b"), true);
    assert.equal(suspicion.confirm("b"), false, "duplicates do not count");
    await s.runFor(20_000);
    // one of k = 3 confirmations: 30 s - log(2)/log(4) * (30 s - 2 s) = 16 s after the start
    assert.equal(firedAt, 16_000);
  });

  it("fires at min when no confirmations are expected (k < 1)", async () => {
    const s = new VirtualScheduler(0);
    let firedAt = -1;
    new Suspicion(s.clock(), timersOn(s.clock()), "a", 0, 2000, 30_000, () => (firedAt = s.now()));
    await s.runFor(60_000);
    assert.equal(firedAt, 2000);
  });
});

describe("Awareness (local health)", () => {
  it("stays within [0, max) and scales timeouts by score + 1", () => {
    const a = new Awareness(8);
    a.applyDelta(-5);
    assert.equal(a.score, 0);
    a.applyDelta(100);
    assert.equal(a.score, 7);
    assert.equal(a.scaleTimeout(500), 4000);
  });
});

describe("BroadcastQueue (TransmitLimitedQueue)", () => {
  it("hands out each message retransmitLimit times, then drops it and reports it finished", () => {
    const q = new BroadcastQueue(1, () => 10); // limit 1 * ceil(log10 11) = 2
    let finished = 0;
    q.queue("a", bytes(10), () => finished++);
    assert.equal(q.get(2, 100).length, 1);
    assert.equal(q.get(2, 100).length, 1);
    assert.equal(q.get(2, 100).length, 0);
    assert.equal(finished, 1);
  });

  it("a newer message about the same member replaces the queued one", () => {
    const q = new BroadcastQueue(4, () => 10);
    let finished = 0;
    q.queue("a", bytes(10, 1), () => finished++);
    q.queue("a", bytes(10, 2));
    assert.equal(q.size, 1);
    assert.equal(finished, 1);
    assert.equal(q.get(2, 100)[0]?.[0], 2);
  });

  it("prefers least-sent, then longest that fits, then newest, within the byte limit", () => {
    const q = new BroadcastQueue(4, () => 10);
    q.queue("small", bytes(10, 1));
    q.queue("big", bytes(50, 2));
    q.queue("newer-small", bytes(10, 3));
    // 65 bytes: big (2 + 50), then 11 bytes free: the newest small one (2 + 10)
    assert.deepEqual(
      q.get(2, 65).map((m) => m[0]),
      [2, 3],
    );
    // the unsent small one first, then the once-sent ones, longest first
    assert.deepEqual(
      q.get(2, 100).map((m) => m[0]),
      [1, 2, 3],
    );
  });
});

describe("addresses and metadata", () => {
  it("IPs round-trip through memberlist's byte form", () => {
    assert.deepEqual([...ipToBytes("10.1.2.3")], [10, 1, 2, 3]);
    assert.equal(bytesToIp(ipToBytes("10.1.2.3")), "10.1.2.3");
    assert.equal(bytesToIp(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1)), "127.0.0.1");
    assert.equal(bytesToIp(ipToBytes("::1")), "::1");
    assert.equal(bytesToIp(ipToBytes("fe80::1:2")), "fe80::1:2");
    assert.equal(bytesToIp(Uint8Array.of(1, 2, 3)), undefined);
  });

  it("metadata carries the cache URL as JSON and reads a bare URL or garbage safely", () => {
    assert.equal(decodeMeta(encodeMeta("http://10.0.0.1:9080")), "http://10.0.0.1:9080");
    assert.equal(decodeMeta(new TextEncoder().encode("http://x:1")), "http://x:1");
    assert.equal(decodeMeta(new TextEncoder().encode("{not json")), "");
    assert.equal(decodeMeta(Uint8Array.of(0xff, 0xfe)), "");
    assert.equal(decodeMeta(new Uint8Array(0)), "");
  });
});
