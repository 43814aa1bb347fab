import { execFile } from "node:child_process";

/** Runs a fixture that defines a compliance suite in a child `node --test` and returns the names of the tests that failed. */
export async function failedTests(fixture: string): Promise<string[]> {
  // Without the parent runner's NODE_TEST_CONTEXT the child reports in TAP on its stdout.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const output = await new Promise<string>((resolve) => {
    execFile(process.execPath, ["--test", "--test-reporter=tap", fixture], { timeout: 60_000, env }, (_error, stdout) => resolve(stdout));
  });
  return [...output.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((m) => m[1]?.trim() ?? "");
}
