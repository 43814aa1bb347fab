import { FakeGce, type FakeGceOptions } from "@cachecluster/testing/fake-gce";
import { waitForPeers } from "@cachecluster/testing/compliance/discovery";
import { MemoryLogger, type LogEntry } from "@cachecluster/testing/memory-logger";
import { GceDiscovery, type GceDiscoveryDeps, type GceDiscoveryOptionsInput } from "../src/index.js";
import { preloadGoogleCompute } from "../src/worker-compute-api.js";

export { waitForPeers, MemoryLogger, type LogEntry };

/** Starts a fake GCE and points gcp-metadata / google-auth-library at it (process env) until `close()`. */
export async function startFake(options: FakeGceOptions = {}): Promise<{ gce: FakeGce; close: () => Promise<void> }> {
  const gce = await FakeGce.start(options);
  const restore = gce.useEnv();
  return {
    gce,
    close: async () => {
      restore();
      await gce.close();
    },
  };
}

/** Fast test defaults: 100 ms refresh, no jitter, short backoff and timeouts. */
export function fastOptions(gce: FakeGce, options: GceDiscoveryOptionsInput = {}): GceDiscoveryOptionsInput {
  return {
    ...gce.computeClientOptions(),
    refreshMs: 100,
    jitter: 0,
    backoffBaseMs: 20,
    backoffCapMs: 200,
    requestTimeoutMs: 5_000,
    ...options,
  };
}

/**
 * Pays the cold import of @google-cloud/compute (1-5 s on a busy machine) in the worker thread once per test file,
 * outside the per-test deadlines. (The worker stays while discoveries use it, and 10 s after the last one stopped.)
 */
export async function warmUp(): Promise<void> {
  await preloadGoogleCompute();
}

export function newDiscovery(
  gce: FakeGce,
  options: GceDiscoveryOptionsInput = {},
  deps: Omit<GceDiscoveryDeps, "options"> = {},
): { discovery: GceDiscovery; logger: MemoryLogger } {
  const logger = deps.logger instanceof MemoryLogger ? deps.logger : new MemoryLogger();
  const discovery = new GceDiscovery({ ...deps, logger, options: fastOptions(gce, options) });
  return { discovery, logger };
}

export function names(peers: readonly { name?: string }[]): string[] {
  return peers.map((p) => p.name ?? "?").sort();
}

/** Waits until `predicate()` holds, polling every 10 ms, at most `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
