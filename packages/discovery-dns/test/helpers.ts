import type { DiscoveredPeer } from "@cachecluster/core";
import { waitForPeers } from "@cachecluster/testing/compliance/discovery";
import { MemoryLogger, type LogEntry } from "@cachecluster/testing/memory-logger";
import { DnsDiscovery, type DnsDiscoveryDeps, type DnsDiscoveryOptionsInput } from "../src/index.js";
import { FakeDnsServer } from "./dns-server.js";

export { waitForPeers, MemoryLogger, type LogEntry };

/** A fake DNS server for the zone `cluster.test` and a discovery pointed at it, with fast test timings. */
export async function setup(
  options: Partial<DnsDiscoveryOptionsInput> = {},
  deps: DnsDiscoveryDeps = {},
): Promise<{ dns: FakeDnsServer; discovery: DnsDiscovery; logger: MemoryLogger; close: () => Promise<void> }> {
  const dns = await FakeDnsServer.start("cluster.test");
  const logger = new MemoryLogger();
  const discovery = new DnsDiscovery(
    {
      name: "peers.cluster.test",
      servers: [dns.address],
      refreshMs: 200,
      minRefreshMs: 100,
      jitter: 0,
      backoffBaseMs: 20,
      backoffCapMs: 200,
      timeoutMs: 1_000,
      ...options,
    },
    { logger, ...deps },
  );
  return {
    dns,
    discovery,
    logger,
    close: async () => {
      await discovery.stop();
      await dns.close();
    },
  };
}

/** Resolves with the next list the discovery announces. */
export function nextPeers(discovery: DnsDiscovery): Promise<readonly DiscoveredPeer[]> {
  return new Promise((resolve) => {
    const unsubscribe = discovery.onPeers((peers) => {
      unsubscribe();
      resolve(peers);
    });
  });
}

/** Resolves once `check()` holds, polling every 10 ms; rejects after `timeoutMs` with `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
