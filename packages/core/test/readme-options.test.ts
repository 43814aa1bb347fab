import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { cacheSection, clusterSection, configSchema, matchSection } from "../src/index.js";

/** packages/core/README.md, from dist/test/. */
const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** Rows `| \`[section] key\` | default | meaning |` of the README's options table. */
function documentedOptions(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of README.split("\n")) {
    const m = /^\| `\[(\w+)\] ([^`]+)` \| ([^|]+) \| .+ \|$/.exec(line);
    if (m !== null) rows.set(`${m[1]}.${m[2]}`, m[3]!.trim());
  }
  return rows;
}

function schemaOptions(): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const sections = { cache: cacheSection, cluster: clusterSection, match: matchSection };
  for (const [name, section] of Object.entries(sections)) {
    const defaults = section.parse({}) as Record<string, unknown>;
    for (const key of Object.keys(section.shape)) out.set(`${name}.${key}`, defaults[key]);
  }
  out.set("meta.<key>", undefined);
  return out;
}

function show(value: unknown): string {
  return typeof value === "string" || typeof value === "number" ? String(value) : JSON.stringify(value);
}

describe("README options table", () => {
  it("lists exactly the keys of the config schema", () => {
    assert.deepEqual(Object.keys(configSchema.shape).sort(), ["cache", "cluster", "match", "meta"], "a new section needs a README row too");
    assert.deepEqual([...documentedOptions().keys()].sort(), [...schemaOptions().keys()].sort());
  });

  it("gives each option the schema's default", () => {
    const documented = documentedOptions();
    for (const [key, value] of schemaOptions()) {
      const expected = value === undefined ? "—" : `\`${show(value)}\``;
      assert.equal(documented.get(key), expected, `default of ${key}`);
    }
  });
});
