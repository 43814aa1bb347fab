import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { configTable } from "@cachecluster/core";
import { swimClusterKeys, swimOptions } from "../src/index.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README config table", () => {
  it("is the table generated from the plugin's [cluster] declaration", () => {
    const table = configTable([swimClusterKeys]);
    assert.ok(readme.includes(table), `packages/membership-swim/README.md must contain, verbatim:\n${table}`);
  });
});

describe("README options table", () => {
  const rows = new Map(
    [...readme.matchAll(/^\| `(\w+)` \| ([^|]*) \| ([^|]*) \|$/gm)].map((m) => [m[1] ?? "", { value: (m[2] ?? "").trim(), meaning: (m[3] ?? "").trim() }]),
  );

  it("lists every option of swimOptions, and nothing else", () => {
    assert.deepEqual([...rows.keys()].sort(), Object.keys(swimOptions.shape).sort());
  });

  it("states each option's default and description as the schema defines them", () => {
    const defaults = swimOptions.parse({}) as Record<string, unknown>;
    for (const [name, schema] of Object.entries(swimOptions.shape)) {
      const row = rows.get(name);
      assert.equal(row?.meaning, schema.description, `meaning of ${name}`);
      const value = defaults[name];
      if (typeof value === "number" || typeof value === "boolean") assert.equal(row?.value, String(value), `default of ${name}`);
    }
  });
});
