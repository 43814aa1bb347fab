import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { HashRing } from "@cachecluster/core";
import { buildGoProgram } from "@cachecluster/testing/go";
import { seededRandom as prng } from "@cachecluster/testing/memory-network";

const run = promisify(execFile);

function keysFor(rand: () => number, n: number): string[] {
  const alphabet = ["a", "Z", "0", "/", " ", "+", "%", "é", "ß", "日本", "😀", "\u0000", "-", "_", "."];
  const keys = ["", " ", "a", "/", "日本語", "😀", "key with spaces", "%2F", "+"];
  for (let i = 0; keys.length < n; i++) {
    const kind = i % 3;
    if (kind === 0) keys.push(`key-${i}`);
    else if (kind === 1) keys.push(`user:${Math.floor(rand() * 1e9)}/photo.png`);
    else {
      let s = "";
      const len = Math.floor(rand() * 12);
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rand() * alphabet.length)] ?? "";
      keys.push(s);
    }
  }
  return keys;
}

function peerSets(rand: () => number): string[][] {
  const sets: string[][] = [["http://10.0.0.1:9080"]];
  for (let n = 2; n <= 40; n += n < 10 ? 1 : 5) {
    sets.push(Array.from({ length: n }, (_, i) => `http://10.0.${i >> 8}.${(i & 255) + 1}:9080`));
    sets.push(Array.from({ length: n }, () => `http://127.0.0.${1 + Math.floor(rand() * 250)}:${9000 + Math.floor(rand() * 1000)}`));
  }
  sets.push(["a", "b", "c"], ["", "x"], ["日本", "😀", "peer"], ["http://[::1]:9080", "http://[::1]:9081"]);
  return sets.map((s) => [...new Set(s)].sort());
}

describe("HashRing against golang/groupcache's consistenthash", () => {
  it("names the same owner as Go's groupcache consistenthash for every key and peer set (Go-generated vectors)", async () => {
    const rand = prng(42);
    const keys = keysFor(rand, 2000);
    const sets = peerSets(rand);
    for (const replicas of [50, 3, 1]) {
      const input = JSON.stringify({ replicas, cases: sets.map((peers) => ({ peers, keys })) });
      const bin = await buildGoProgram("ring-vectors");
      const child = run(bin, [], { maxBuffer: 256 * 1024 * 1024 });
      child.child.stdin?.end(input);
      const goOwners = JSON.parse((await child).stdout) as string[][];
      assert.equal(goOwners.length, sets.length);
      let compared = 0;
      sets.forEach((peers, c) => {
        const ring = new HashRing(peers, replicas);
        keys.forEach((key, k) => {
          const want = goOwners[c]?.[k];
          const got = ring.get(key);
          if (got !== want) assert.fail(`replicas=${replicas} peers=${JSON.stringify(peers)} key=${JSON.stringify(key)}: go=${want} ts=${got}`);
          compared++;
        });
      });
      assert.equal(compared, sets.length * keys.length);
    }
  });
});
