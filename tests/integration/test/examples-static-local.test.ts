import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

/** examples/dist/static-local/main.js, built by `tsc -b tests/integration` (it references examples). */
const EXAMPLE = fileURLToPath(new URL("../../../../examples/dist/static-local/main.js", import.meta.url));

describe("examples/static-local", () => {
  it("runs two nodes with static discovery and the HTTP transport: every key loaded once, status pages and metrics answer", async () => {
    assert.ok(existsSync(EXAMPLE), `${EXAMPLE} missing: build with tsc -b`);
    const child = spawn(process.execPath, [EXAMPLE, "--smoke"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0, out);
      assert.match(out, /static-local smoke test ok: 50 keys, local loads \d+ \+ \d+, ring shares node-1 [\d.]+%, node-2 [\d.]+%/);
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
