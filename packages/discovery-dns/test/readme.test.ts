import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { configTable } from "@cachecluster/core";
import { DnsDiscovery, dnsDiscoveryOptions, dnsSection } from "../src/index.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const rows = new Map(
  [...readme.matchAll(/^\| `(\w+)` \| ([^|]*) \| ([^|]*) \|/gm)].map((m) => [m[1] ?? "", { key: (m[2] ?? "").trim(), default: (m[3] ?? "").trim() }]),
);

describe("README options table matches the zod schema", () => {
  it("lists every option of dnsDiscoveryOptions, and nothing else", () => {
    assert.deepEqual([...rows.keys()].sort(), Object.keys(dnsDiscoveryOptions.in.shape).sort());
  });

  it("states the schema's defaults", () => {
    const defaults = new DnsDiscovery({ name: "a.test" }).settings as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(defaults)) {
      if (name === "name") continue;
      const expected = Array.isArray(value) ? `\`${JSON.stringify(value)}\`` : `\`${String(value)}\``;
      assert.equal(rows.get(name)?.default, expected, name);
    }
  });

  it("names the config key each option falls back to, with the same default", () => {
    const docs = new Map(dnsSection.docs.map((d) => [d.key, d.default]));
    for (const [name, row] of rows) {
      if (row.key === "—") continue;
      const key = /^`\[dns\] (\w+)`$/.exec(row.key)?.[1];
      assert.ok(key !== undefined && docs.has(key), `${name}: ${row.key} is not a [dns] key`);
      assert.equal(docs.get(key) ?? "—", row.default === "—" ? "—" : row.default.replace(/`/g, ""), `${name} and [dns] ${key} defaults differ`);
    }
  });
});

describe("README config table", () => {
  it("is the table generated from the plugin's [dns] declaration", () => {
    const table = configTable([dnsSection]);
    assert.ok(readme.includes(table), `packages/discovery-dns/README.md must contain, verbatim:\n${table}`);
  });
});
