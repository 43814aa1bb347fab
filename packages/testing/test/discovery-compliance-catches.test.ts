import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { failedTests } from "./helpers/failed-tests.js";

const fixture = fileURLToPath(new URL("./fixtures/broken-discovery.fixture.js", import.meta.url));

describe("the Discovery compliance suite fails a Discovery that breaks the contract", () => {
  it("reports the broken properties as failures", async () => {
    const failed = await failedTests(fixture);
    for (const name of [
      "reports no peers before start()",
      "start() resolves within 1 s, without waiting for the source",
      "every peer has a host, and valid ports and cache URL where given",
      "a listener removed with its unsubscribe function is not called",
      "calls no listener after stop()",
    ]) {
      assert.ok(failed.includes(name), `expected "${name}" to fail; failed: ${JSON.stringify(failed)}`);
    }
  });
});
