import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { failedTests } from "./helpers/failed-tests.js";

const fixture = fileURLToPath(new URL("./fixtures/broken-store.fixture.js", import.meta.url));

describe("the Store compliance suite fails a Store that breaks the contract", () => {
  it("reports the broken properties as failures", async () => {
    const failed = await failedTests(fixture);
    for (const name of [
      "never changes the bytes of a value it returned, whatever happens to the entry afterwards",
      "accounts bytes of key and value, and gives them back on remove",
      "evicts the least recently used entry first, a get counting as a use",
    ]) {
      assert.ok(failed.includes(name), `expected "${name}" to fail; failed: ${JSON.stringify(failed)}`);
    }
  });
});
