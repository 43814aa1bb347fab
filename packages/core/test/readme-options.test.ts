import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { configTable } from "../src/index.js";
import { coreSections } from "../src/config/schema.js";

/** packages/core/README.md, from dist/test/. */
const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README options table", () => {
  it("is the table generated from core's config declarations ([cache], [cluster], [admin]), keys, defaults and descriptions", () => {
    const table = configTable([...coreSections]);
    assert.ok(README.includes(table), `packages/core/README.md must contain, verbatim:\n${table}`);
  });
});
