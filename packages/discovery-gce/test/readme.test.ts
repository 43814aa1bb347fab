import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { configTable } from "@cachecluster/core";
import { gceDiscoveryOptions, matchSection, metaSection } from "../src/index.js";
import { parseGceDiscoveryOptions } from "../src/options.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const rows = new Map([...readme.matchAll(/^\| `(\w+)` \| [^|]* \| ([^|]*) \|/gm)].map((m) => [m[1] ?? "", (m[2] ?? "").trim()]));

describe("README options table matches the zod schema", () => {
  it("lists every option of gceDiscoveryOptions, and nothing else", () => {
    assert.deepEqual([...rows.keys()].sort(), Object.keys(gceDiscoveryOptions.shape).sort());
  });

  it("states the schema's numeric defaults", () => {
    const defaults = parseGceDiscoveryOptions({}) as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(defaults)) {
      if (typeof value === "number") assert.equal(rows.get(name), `\`${value}\``, name);
    }
  });
});

describe("README config table", () => {
  it("is the table generated from the plugin's [match] and [meta] declarations", () => {
    const table = configTable([matchSection, metaSection]);
    assert.ok(readme.includes(table), `packages/discovery-gce/README.md must contain, verbatim:\n${table}`);
  });
});
