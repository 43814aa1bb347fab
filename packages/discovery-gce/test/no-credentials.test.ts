// Without credentials, a node with project and zone configured must keep running in local mode: the Compute
// client's failed initialisation is a logged `auth` failure retried with backoff, not an unhandled rejection that
// ends the process. Real processes: the "not on GCE" one in a network namespace with no network at all. (The first
// failure waits for the cold import of the Google client in the worker: seconds, more on a loaded machine.)
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { FakeGce } from "@cachecluster/testing/fake-gce";

const node = fileURLToPath(new URL("./fixtures/local-node.js", import.meta.url));

interface Run {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly logs: { level: string; msg: string; kind?: string }[];
  readonly result: { value: string; failures: number; refreshes: number; delays: number[]; kind?: string; message?: string } | undefined;
}

/** Runs the fixture node (optionally under `prefix`, e.g. `unshare -rn`) with a clean Google environment. */
function runNode(env: Record<string, string>, options: object, prefix: string[] = []): Promise<Run> {
  // No credentials from this machine: an empty HOME and gcloud config, no ADC variables.
  const home = mkdtempSync(join(tmpdir(), "cachecluster-gce-no-credentials-"));
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(GOOGLE_|GCE_|GCLOUD_|CLOUDSDK_|METADATA_SERVER_DETECTION$)/.test(k)),
  ) as Record<string, string>;
  const [command, ...args] = [...prefix, process.execPath, node];
  return new Promise((resolve) => {
    execFile(
      command ?? process.execPath,
      args,
      { env: { ...clean, HOME: home, CLOUDSDK_CONFIG: join(home, "gcloud"), ...env, GCE_NODE_OPTIONS: JSON.stringify(options) }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const lines = stdout
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({
          code,
          signal: error?.signal ?? null,
          stderr,
          logs: lines.filter((l) => l.result === undefined) as unknown as Run["logs"],
          result: lines.find((l) => l.result !== undefined)?.result as Run["result"],
        });
      },
    );
  });
}

const discoveryOptions = { project: "acme-prod", zones: ["us-central1-b"], refreshMs: 60_000, backoffBaseMs: 200, backoffCapMs: 1_600, jitter: 0 };

function assertLocalModeWithAuthFailures(run: Run, says: RegExp): void {
  assert.equal(run.code, 0, `the node exited with ${run.code ?? run.signal}:\n${run.stderr.slice(0, 2_000)}`);
  const result = run.result;
  assert.ok(result !== undefined, "no result line");
  assert.equal(result.value, "value of k", "the node serves in local mode");
  assert.ok(result.failures >= 3, `${result.failures} failed refreshes`);
  assert.equal(result.kind, "auth", result.message);
  assert.match(result.message ?? "", says);
  // Retried with backoff: 200 ms doubling (equal jitter: each delay in [exp/2, exp]).
  const delays = result.delays.slice(0, 3);
  delays.forEach((d, i) => assert.ok(d >= 100 * 2 ** i && d <= 200 * 2 ** i, `retry ${i + 1} after ${d} ms (${delays.join(", ")})`));
  // Logged once at warn, with the cause; no stack on stderr.
  const warnings = run.logs.filter((l) => l.level === "warn" && l.kind === "auth");
  assert.equal(warnings.length, 1, JSON.stringify(run.logs));
  assert.match(warnings[0]?.msg ?? "", says);
  assert.doesNotMatch(run.stderr, /Could not load the default credentials|Unhandled|at .*googleauth/);
}

describe("GceDiscovery without credentials: the node keeps serving in local mode and retries with backoff", () => {
  let gce: FakeGce;
  before(async () => {
    gce = await FakeGce.start({ project: "acme-prod", zones: ["us-central1-b"] });
  });
  after(async () => gce.close());

  it("no metadata server (a namespace with no network): an auth failure, logged once, retried; the process stays up", async () => {
    // GCE_METADATA_HOST points the detection at loopback, which is down in the namespace: nothing is sent anywhere.
    const run = await runNode({ GCE_METADATA_HOST: "127.0.0.1:9" }, { discovery: discoveryOptions, failures: 4, timeoutMs: 90_000 }, ["unshare", "-rn"]);
    assertLocalModeWithAuthFailures(run, /default credentials/i);
  });

  it("GOOGLE_APPLICATION_CREDENTIALS naming a missing file: an auth failure naming the file; no Compute call is made", async () => {
    gce.clearLog();
    const run = await runNode(
      { ...gce.env(), GOOGLE_APPLICATION_CREDENTIALS: "/nonexistent/cachecluster-key.json" },
      { discovery: { ...discoveryOptions, ...gce.computeClientOptions() }, failures: 4, timeoutMs: 90_000 },
    );
    assertLocalModeWithAuthFailures(run, /\/nonexistent\/cachecluster-key\.json/);
    assert.equal(gce.computeRequests().length, 0);
  });
});
