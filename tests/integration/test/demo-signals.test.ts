import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

/** The repository root, from tests/integration/dist/test/. */
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function running(pid: number): boolean {
  try {
    // A zombie still answers kill(0); it is gone as far as the demo is concerned.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

describe("the demo's main process", () => {
  for (const signal of ["SIGTERM"] as const) {
    it(`stops its node processes when it gets ${signal}`, async () => {
      // Ports unlike the README's defaults and the demo test's, so neither collides with this one.
      const port = 0;
      const child = spawn(
        process.execPath,
        [
          `${repoRoot}examples/dist/demo/main.js`,
          "--nodes",
          "2",
          "--keep",
          "--cache-port",
          String(39080 + port),
          "--admin-port",
          String(39081 + port),
          "--cluster-port",
          String(39946 + port),
          "--app-port",
          String(38080 + port),
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      child.stdout.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr.on("data", (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      try {
        const deadline = Date.now() + 60_000;
        while (!output.includes(" up: status ") && Date.now() < deadline && child.exitCode === null) await sleep(100);
        const nodes = childrenOf(child.pid!);
        assert.equal(nodes.length, 2, `expected 2 node processes, found ${nodes.length}:\n${output}`);
        child.kill(signal);
        const code = await Promise.race([exited, sleep(15_000).then(() => "still running")]);
        assert.notEqual(code, "still running", `the demo did not exit on ${signal}:\n${output}`);
        const gone = Date.now() + 5000;
        while (nodes.some(running) && Date.now() < gone) await sleep(100);
        assert.deepEqual(nodes.filter(running), [], `node processes left running after ${signal}:\n${output}`);
      } finally {
        for (const pid of childrenOf(child.pid!)) process.kill(pid, "SIGKILL");
        child.kill("SIGKILL");
      }
    });
  }
});
