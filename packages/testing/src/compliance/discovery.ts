/// <reference types="node" preserve="true" />
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { DiscoveredPeer, Discovery } from "@cachecluster/core";

/** One discovery under test, fresh per test. */
export interface DiscoveryUnderTest {
  /** Not started yet. */
  readonly discovery: Discovery;
  /** The peers it must report once started (order does not matter). */
  readonly expected: readonly DiscoveredPeer[];
  /** Optional: changes the source (adds, removes peers) and returns the new expected list. */
  readonly change?: () => Promise<readonly DiscoveredPeer[]>;
  /** Releases what `create` made (fake servers ...); the suite stops the discovery itself. */
  readonly cleanup?: () => Promise<void>;
}

export interface DiscoveryComplianceSetup {
  /** Suite name suffix, e.g. `GceDiscovery`. */
  readonly name: string;
  create(): Promise<DiscoveryUnderTest>;
  /** How long the first result (and a change) may take after start; default 5,000 ms. */
  readonly resultTimeoutMs?: number;
  /** How long "nothing happens" is watched for after stop(); default 300 ms (choose a few refresh periods). */
  readonly quietMs?: number;
}

function key(p: DiscoveredPeer): string {
  return JSON.stringify([p.host, p.name ?? null, p.clusterPort ?? null, p.cacheUrl ?? null]);
}

function normalize(peers: readonly DiscoveredPeer[]): string[] {
  return peers.map(key).sort();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the first list (from `onPeers` or `peers()`) that satisfies `accept`, or rejects after `timeoutMs`. */
export async function waitForPeers(
  discovery: Discovery,
  accept: (peers: readonly DiscoveredPeer[]) => boolean,
  timeoutMs: number,
): Promise<readonly DiscoveredPeer[]> {
  if (accept(discovery.peers())) return discovery.peers();
  let unsubscribe = (): void => {};
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<readonly DiscoveredPeer[]>((resolve, reject) => {
      unsubscribe = discovery.onPeers((peers) => {
        if (accept(peers)) resolve(peers);
      });
      timer = setTimeout(() => reject(new Error(`no acceptable peer list within ${timeoutMs} ms; last: ${JSON.stringify(discovery.peers())}`)), timeoutMs);
    });
  } finally {
    unsubscribe();
    clearTimeout(timer);
  }
}

/**
 * The behaviour every `Discovery` must show (core's interface contract): nothing before start, start() that does
 * not block on results, results through `onPeers` and `peers()`, well-formed peers, unsubscription, idempotent
 * start/stop, silence after stop, and (where the source can change) changes reported.
 */
export function discoveryCompliance(setup: DiscoveryComplianceSetup): void {
  const timeoutMs = setup.resultTimeoutMs ?? 5_000;
  const quietMs = setup.quietMs ?? 300;

  describe(`Discovery compliance: ${setup.name}`, () => {
    let current: DiscoveryUnderTest | undefined;
    const create = async (): Promise<DiscoveryUnderTest> => {
      current = await setup.create();
      return current;
    };
    afterEach(async () => {
      const done = current;
      current = undefined;
      if (done === undefined) return;
      await done.discovery.stop();
      await done.cleanup?.();
    });

    it("reports no peers before start()", async () => {
      const { discovery } = await create();
      assert.deepEqual([...discovery.peers()], []);
    });

    it("start() resolves within 1 s, without waiting for the source", async () => {
      const { discovery } = await create();
      const t0 = performance.now();
      await discovery.start();
      assert.ok(performance.now() - t0 < 1_000, `start() took ${Math.round(performance.now() - t0)} ms`);
    });

    it("delivers the expected peers through onPeers, and peers() returns the same list", async () => {
      const { discovery, expected } = await create();
      const seen: (readonly DiscoveredPeer[])[] = [];
      discovery.onPeers((peers) => seen.push(peers));
      await discovery.start();
      const want = normalize(expected);
      await waitForPeers(discovery, (peers) => normalize(peers).join() === want.join(), timeoutMs).catch(() => undefined);
      assert.ok(seen.length >= 1, "onPeers was never called");
      assert.deepEqual(normalize(seen.at(-1) ?? []), want);
      assert.deepEqual(normalize(discovery.peers()), want);
    });

    it("every listener receives the result", async () => {
      const { discovery, expected } = await create();
      const a: (readonly DiscoveredPeer[])[] = [];
      const b: (readonly DiscoveredPeer[])[] = [];
      discovery.onPeers((peers) => a.push(peers));
      discovery.onPeers((peers) => b.push(peers));
      await discovery.start();
      await waitForPeers(discovery, (peers) => peers.length === expected.length, timeoutMs);
      assert.ok(a.length >= 1 && b.length >= 1, `listener calls: ${a.length} and ${b.length}`);
      assert.deepEqual(normalize(a.at(-1) ?? []), normalize(b.at(-1) ?? []));
    });

    it("every peer has a host, and valid ports and cache URL where given", async () => {
      const { discovery, expected } = await create();
      const delivered: (readonly DiscoveredPeer[])[] = [];
      discovery.onPeers((peers) => delivered.push(peers));
      await discovery.start();
      await waitForPeers(discovery, (p) => p.length === expected.length, timeoutMs);
      await sleep(Math.min(quietMs, 100));
      for (const peers of [...delivered, discovery.peers()]) {
        for (const peer of peers) {
          assert.equal(typeof peer.host, "string");
          assert.ok(peer.host.length > 0, "empty host");
          assert.ok(!/\s/.test(peer.host), `host with white space: ${JSON.stringify(peer.host)}`);
          if (peer.clusterPort !== undefined)
            assert.ok(Number.isInteger(peer.clusterPort) && peer.clusterPort > 0 && peer.clusterPort < 65536, `clusterPort ${peer.clusterPort}`);
          if (peer.cacheUrl !== undefined) assert.match(peer.cacheUrl, /^https?:\/\/[^/]+/);
          if (peer.name !== undefined) assert.ok(peer.name.length > 0, "empty name");
        }
        assert.equal(new Set(peers.map(key)).size, peers.length, "duplicate peers");
      }
    });

    it("a listener removed with its unsubscribe function is not called", async () => {
      const { discovery, expected } = await create();
      let removedCalls = 0;
      const unsubscribe = discovery.onPeers(() => {
        removedCalls += 1;
      });
      unsubscribe();
      unsubscribe();
      await discovery.start();
      await waitForPeers(discovery, (p) => p.length === expected.length, timeoutMs);
      await sleep(Math.min(quietMs, 100));
      assert.equal(removedCalls, 0);
    });

    it("stop() before start() and stop() twice resolve", async () => {
      const { discovery } = await create();
      await discovery.stop();
      await discovery.start();
      await discovery.stop();
      await discovery.stop();
    });

    it("start() twice is harmless", async () => {
      const { discovery, expected } = await create();
      await discovery.start();
      await discovery.start();
      const peers = await waitForPeers(discovery, (p) => p.length === expected.length, timeoutMs);
      assert.deepEqual(normalize(peers), normalize(expected));
    });

    it("calls no listener after stop()", async () => {
      const { discovery, expected } = await create();
      let calls = 0;
      discovery.onPeers(() => {
        calls += 1;
      });
      await discovery.start();
      await waitForPeers(discovery, (p) => p.length === expected.length, timeoutMs);
      await discovery.stop();
      const before = calls;
      await sleep(quietMs);
      assert.equal(calls, before, "onPeers called after stop()");
    });

    it("reports a change of the source, when the source can change", async (t) => {
      const under = await create();
      if (under.change === undefined) {
        t.skip("this discovery's source is fixed");
        return;
      }
      await under.discovery.start();
      await waitForPeers(under.discovery, (p) => p.length === under.expected.length, timeoutMs);
      const next = normalize(await under.change());
      const peers = await waitForPeers(under.discovery, (p) => normalize(p).join() === next.join(), timeoutMs);
      assert.deepEqual(normalize(peers), next);
    });
  });
}
