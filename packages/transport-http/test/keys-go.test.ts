import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { buildGoProgram } from "@cachecluster/testing/go";
import fc from "fast-check";
import { parsePeerPath } from "../src/server/peer-path.js";
import { escapeSegment, queryEscape, unescapeSegment } from "../src/wire/escape.js";

const run = promisify(execFile);

interface GoAnswers {
  queryEscape: string[];
  pathUnescape: { ok: boolean; hex: string }[];
}

/** Go's url.QueryEscape of each of `escape`, and url.PathUnescape of each of `unescape` (packages/testing/go/url-escape). */
async function askGo(escape: readonly string[], unescape: readonly string[]): Promise<GoAnswers> {
  const bin = await buildGoProgram("url-escape");
  const child = run(bin, [], { maxBuffer: 64 * 1024 * 1024 });
  child.child.stdin?.end(JSON.stringify({ escape, unescape }));
  return JSON.parse((await child).stdout) as GoAnswers;
}

/** Strings that hold only whole code points (what UTF-8, and so a Go string, can carry). */
const keys = fc.string({ unit: "binary", maxLength: 24 }).filter((s) => !/[\uD800-\uDFFF]/u.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "")));

const hex = (s: string): string => Buffer.from(s, "utf8").toString("hex");

describe("keys round-trip byte-exact between Node and Go peers", () => {
  it("a key that starts with U+FEFF (a byte-order mark) reaches a Node owner whole", () => {
    for (const key of ["\uFEFF", "\uFEFFa", "\uFEFF\uFEFFb", "a\uFEFF"]) {
      const target = `/_groupcache/g/${escapeSegment(key)}`;
      assert.deepEqual(parsePeerPath(target, "/_groupcache/"), { ok: true, group: "g", key }, JSON.stringify(key));
      assert.equal(unescapeSegment(queryEscape(key)), key);
    }
  });

  it("for arbitrary strings: our escape is Go's QueryEscape (but %20), Go's PathUnescape of it gives the key's UTF-8, and we decode Go's escape to the key", async () => {
    const samples = [...fc.sample(keys, { numRuns: 3000, seed: 12 }), "\uFEFF", "\uFEFFkey", " ", "+", "%", "a b+c%20"];
    const ours = samples.map(escapeSegment);
    const go = await askGo(samples, ours);
    samples.forEach((key, i) => {
      const what = JSON.stringify(key);
      assert.equal(queryEscape(key), go.queryEscape[i], `QueryEscape of ${what}`);
      assert.deepEqual(go.pathUnescape[i], { ok: true, hex: hex(key) }, `Go server decoding our escape of ${what}`);
      assert.equal(unescapeSegment(go.queryEscape[i] ?? ""), key, `our server decoding Go's escape of ${what}`);
      assert.equal(unescapeSegment(ours[i] ?? ""), key, `our server decoding our escape of ${what}`);
    });
  });
});
