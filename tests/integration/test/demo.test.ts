import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

/** The repository root, from tests/integration/dist/test/. */
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

interface DemoResult {
  phases: Record<string, { "requests ok": number; failed: number; "renders per key": number }>;
  failed: number;
  joined: boolean;
  detected: boolean;
}

describe("the README's demo", () => {
  it("forms a cluster from GCE discovery, renders each report once, takes in a new instance and survives a SIGKILL with no failed request", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cc-demo-"));
    const json = join(dir, "demo.json");
    // Ports unlike the README's defaults, so a demo left running by hand does not collide with this test.
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, "examples/dist/demo/main.js"),
        "--phase-seconds",
        "3",
        "--keys",
        "200",
        "--cache-port",
        "29080",
        "--admin-port",
        "29081",
        "--cluster-port",
        "29946",
        "--app-port",
        "28080",
        "--json",
        json,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 210_000);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    clearTimeout(timer);
    const result = JSON.parse(await readFile(json, "utf8").catch(() => "null")) as DemoResult | null;
    assert.ok(result !== null, `the demo wrote no result (exit ${code}):\n${output}`);
    assert.equal(result.failed, 0, output);
    assert.equal(result.joined, true, output);
    assert.equal(result.detected, true, output);
    assert.equal(result.phases["steady state"]?.["renders per key"], 1, output);
    assert.ok((result.phases["steady state"]?.["requests ok"] ?? 0) > 50, output);
    assert.equal(code, 0, output);
  });
});
