import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { HashRing, hashKey } from "../src/ring/hash-ring.js";

describe("HashRing", () => {
  it("hashes like Go's crc32.ChecksumIEEE of the UTF-8 bytes", () => {
    assert.equal(hashKey(""), 0);
    assert.equal(hashKey("a"), 0xe8b7be43);
    assert.equal(hashKey("123456789"), 0xcbf43926);
    assert.equal(hashKey("é"), 0x0e048d3e); // crc32 of c3 a9
  });

  it("is empty without peers and owns everything with one", () => {
    assert.equal(new HashRing().get("k"), undefined);
    const one = new HashRing(["http://a"]);
    for (const k of ["", "x", "y"]) assert.equal(one.get(k), "http://a");
  });

  it("gives the same owners whatever order the peers are given in", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 12 }), fc.array(fc.string(), { maxLength: 30 }), (peers, keys) => {
        const a = new HashRing(peers);
        const b = new HashRing([...peers].reverse());
        for (const k of keys) assert.equal(a.get(k), b.get(k));
      }),
    );
  });

  it("moves about 1/N of the keys when one of N peers leaves, and only keys the leaver owned", () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `key-${i}`);
    for (const n of [3, 5, 10, 20]) {
      const peers = Array.from({ length: n }, (_, i) => `http://10.0.0.${i + 1}:9080`);
      const before = new HashRing(peers);
      const leaver = peers[n - 1]!;
      const after = new HashRing(peers.slice(0, -1));
      let moved = 0;
      for (const k of keys) {
        const was = before.get(k);
        if (was !== after.get(k)) {
          moved++;
          assert.equal(was, leaver, `key ${k} moved although its owner ${was} stayed`);
        }
      }
      const share = moved / keys.length;
      // 50 replicas leave visible imbalance: accept 0.3/N .. 2/N.
      assert.ok(share > 0.3 / n && share < 2 / n, `n=${n}: moved ${share.toFixed(3)} of keys, expected about ${(1 / n).toFixed(3)}`);
    }
  });

  it("shares sum to 1 and stay within a factor of ~2 of 1/N with 50 replicas", () => {
    for (const n of [2, 5, 10, 50]) {
      const ring = new HashRing(Array.from({ length: n }, (_, i) => `http://10.1.0.${i + 1}:9080`));
      const shares = [...ring.shares().values()];
      assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9);
      for (const s of shares) assert.ok(s > 0.35 / n && s < 2.2 / n, `n=${n}: share ${s}`);
    }
  });

  it("rejects a non-positive replica count with a clear error", () => {
    assert.throws(() => new HashRing([], 0), { code: "CACHECLUSTER_INVALID_ARGUMENT", message: /replicas to be a positive integer, got 0/ });
  });
});
