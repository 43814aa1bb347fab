import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { configTable } from "@cachecluster/core";
import { swimClusterKeys } from "../src/index.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README config table", () => {
  it("is the table generated from the plugin's [cluster] declaration", () => {
    const table = configTable([swimClusterKeys]);
    assert.ok(readme.includes(table), `packages/membership-swim/README.md must contain, verbatim:\n${table}`);
  });
});
