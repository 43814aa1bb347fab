import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const fixture = fileURLToPath(new URL("./fixtures/broken-discovery.fixture.js", import.meta.url));

describe("the Discovery compliance suite fails a Discovery that breaks the contract", () => {
  it("reports the broken properties as failures", async () => {
    // Without the parent runner's NODE_TEST_CONTEXT the child reports in TAP on its stdout.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const output = await new Promise<string>((resolve) => {
      execFile(process.execPath, ["--test", "--test-reporter=tap", fixture], { timeout: 60_000, env }, (_error, stdout) => resolve(stdout));
    });
    const failed = [...output.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((m) => m[1]?.trim() ?? "");
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
