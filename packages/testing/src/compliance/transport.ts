/// <reference types="node" preserve="true" />
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { afterEach, beforeEach, describe, it } from "node:test";
import { CacheClusterError, type PeerCallOptions, type PeerRequestHandler, type PeerValue, type Transport } from "@cachecluster/core";

export interface TransportComplianceSetup {
  readonly transport: Transport;
  readonly teardown?: () => Promise<void>;
  /** A peer URL nothing answers on; default: an http://127.0.0.1 URL on a port just closed. */
  readonly unreachableUrl?: string;
  /**
   * Run once the transport listens, before each test: e.g. calls that bring the client to the state under
   * test (a warm connection). What it asks the handler is forgotten before the test starts.
   */
  readonly warmUp?: (url: string) => Promise<void>;
}

/** A PeerRequestHandler over in-memory groups, recording what the transport handed it. */
export class RecordingPeerHandler implements PeerRequestHandler {
  /** group → key → value. Group "g" computes `value-of:${key}` for missing keys; "fail" always throws; "slow" waits for abort. */
  readonly values = new Map<string, Map<string, PeerValue>>([["g", new Map()]]);
  readonly gets: { group: string; key: string }[] = [];
  readonly removes: { group: string; key: string }[] = [];
  readonly sets: { group: string; key: string; value: PeerValue }[] = [];
  /** Addresses `isMemberAddress` accepts; undefined (the default): every address is a member's. */
  memberAddresses: ReadonlySet<string> | undefined = undefined;
  /** The addresses `isMemberAddress` was asked about, in order. */
  readonly memberChecks: string[] = [];
  /** Resolves the "slow" group's pending gets' abort reasons. */
  readonly slowAborted: unknown[] = [];
  slowEntered = 0;

  async get(group: string, key: string, options?: PeerCallOptions): Promise<PeerValue> {
    this.gets.push({ group, key });
    if (group === "fail") throw new Error(`boom: ${key}`);
    if (group === "slow") {
      this.slowEntered++;
      const signal = options?.signal;
      return new Promise((_resolve, reject) => {
        const onAbort = (): void => {
          this.slowAborted.push(signal?.reason);
          reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
        };
        if (signal === undefined) return;
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    const values = this.#group(group);
    return values.get(key) ?? { value: new TextEncoder().encode(`value-of:${key}`) };
  }

  async remove(group: string, key: string): Promise<void> {
    this.removes.push({ group, key });
    this.#group(group).delete(key);
  }

  async set(group: string, key: string, value: PeerValue): Promise<void> {
    this.sets.push({ group, key, value });
    this.#group(group).set(key, value);
  }

  isMemberAddress(address: string): boolean {
    this.memberChecks.push(address);
    return this.memberAddresses === undefined || this.memberAddresses.has(address);
  }

  #group(group: string): Map<string, PeerValue> {
    const values = this.values.get(group);
    if (values === undefined) throw new CacheClusterError("CACHECLUSTER_NO_SUCH_GROUP", `no such group: ${group}`);
    return values;
  }
}

/** Keys that stress the wire form: escapes, separators, unicode, the empty key. */
export const awkwardKeys: readonly string[] = [
  "plain",
  "",
  "a b",
  "  leading and trailing  ",
  "a+b",
  "+",
  "%",
  "%2F",
  "%zz",
  "100%",
  "a/b",
  "a/b/c/",
  "?q=1&r=2#frag",
  "!*'();:@&=+$,/?#[]",
  "ключ",
  "日本語のキー",
  "emoji 😀 key",
  "tab\tnewline\n",
  "\u0000nul",
  "x".repeat(2000),
];

function isPeerError(error: unknown): error is CacheClusterError & { peer: string; status: number | undefined } {
  return (
    error instanceof CacheClusterError &&
    error.name === "PeerError" &&
    (error.code === "CACHECLUSTER_PEER_FETCH_FAILED" || error.code === "CACHECLUSTER_PEER_RESPONSE_INVALID")
  );
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return check();
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The Transport compliance suite: every Transport implementation runs it from its own test file with a
 * `setup` that returns a fresh, unstarted transport. The suite starts it, listens on 127.0.0.1 port 0 with a
 * `RecordingPeerHandler`, and talks to itself through `transport.client`.
 */
export function transportCompliance(setup: () => Promise<TransportComplianceSetup>): void {
  describe("Transport compliance", () => {
    let ctx: TransportComplianceSetup;
    let handler: RecordingPeerHandler;
    let url: string;

    beforeEach(async () => {
      ctx = await setup();
      handler = new RecordingPeerHandler();
      await ctx.transport.start();
      url = (await ctx.transport.listen(handler, { host: "127.0.0.1", port: 0 })).url;
      if (ctx.warmUp !== undefined) {
        await ctx.warmUp(url);
        handler.gets.length = 0;
        handler.memberChecks.length = 0;
      }
    });
    afterEach(async () => {
      await ctx.transport.stop();
      await ctx.teardown?.();
    });

    it("a fetch returns the value the peer's handler served, for the group and key asked", async () => {
      const got = await ctx.transport.client.fetch(url, "g", "k1");
      assert.equal(text(got.value), "value-of:k1");
      assert.equal(got.expire, undefined);
      assert.deepEqual(handler.gets, [{ group: "g", key: "k1" }]);
    });

    it("an empty value round-trips as zero bytes", async () => {
      handler.values.get("g")?.set("empty", { value: new Uint8Array(0) });
      const got = await ctx.transport.client.fetch(url, "g", "empty");
      assert.equal(got.value.length, 0);
    });

    it("binary values round-trip byte for byte (every byte value, and 1 MiB)", async () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const big = new Uint8Array(1 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
      handler.values.get("g")?.set("all", { value: all });
      handler.values.get("g")?.set("big", { value: big });
      assert.deepEqual(new Uint8Array((await ctx.transport.client.fetch(url, "g", "all")).value), all);
      assert.deepEqual(new Uint8Array((await ctx.transport.client.fetch(url, "g", "big")).value), big);
    });

    it("keys with spaces, slashes, plus, percent, unicode and the empty key reach the handler unchanged", async () => {
      for (const key of awkwardKeys) {
        const got = await ctx.transport.client.fetch(url, "g", key);
        assert.equal(text(got.value), `value-of:${key}`, `key ${JSON.stringify(key)}`);
        assert.deepEqual(handler.gets.at(-1), { group: "g", key }, `key ${JSON.stringify(key)}`);
      }
    });

    it("100 concurrent fetches each get their own value", async () => {
      const keys = Array.from({ length: 100 }, (_, i) => `concurrent-${i}`);
      const got = await Promise.all(keys.map((k) => ctx.transport.client.fetch(url, "g", k)));
      assert.deepEqual(
        got.map((g) => text(g.value)),
        keys.map((k) => `value-of:${k}`),
      );
    });

    it("an unknown group rejects with a PeerError naming it", async () => {
      const error = await ctx.transport.client.fetch(url, "nope", "k").then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isPeerError(error), `expected a PeerError, got ${String(error)}`);
      assert.match(error.message, /no such group: nope/);
      assert.ok(error.status === undefined || error.status === 404, `status ${String(error.status)}`);
    });

    it("a failing loader at the peer rejects with a PeerError carrying its message", async () => {
      const error = await ctx.transport.client.fetch(url, "fail", "k9").then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isPeerError(error), `expected a PeerError, got ${String(error)}`);
      assert.match(error.message, /boom: k9/);
    });

    it("aborting a fetch rejects it promptly and aborts the serving handler's signal", async () => {
      const controller = new AbortController();
      const pending = ctx.transport.client.fetch(url, "slow", "k", { signal: controller.signal });
      assert.ok(await until(() => handler.slowEntered === 1, 5000), "the request reached the handler");
      const t0 = Date.now();
      controller.abort(new Error("caller gave up"));
      const error = await pending.then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(Date.now() - t0 < 1000, "rejected within 1 s of the abort");
      assert.ok(isPeerError(error) || (error instanceof CacheClusterError && error.code === "CACHECLUSTER_ABORTED"), `got ${String(error)}`);
      assert.ok(await until(() => handler.slowAborted.length === 1, 5000), "the handler's signal was aborted");
    });

    it("a fetch with an already aborted signal rejects", async () => {
      const error = await ctx.transport.client.fetch(url, "g", "k", { signal: AbortSignal.abort() }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isPeerError(error) || (error instanceof CacheClusterError && error.code === "CACHECLUSTER_ABORTED"), `got ${String(error)}`);
    });

    it("an expiry (Unix ms) round-trips exactly, and no expiry stays absent", async () => {
      const expire = Date.now() + 3_600_000;
      handler.values.get("g")?.set("ttl", { value: utf8("v"), expire });
      handler.values.get("g")?.set("far", { value: utf8("v"), expire: Date.UTC(2200, 0, 1, 0, 0, 0, 7) });
      assert.equal((await ctx.transport.client.fetch(url, "g", "ttl")).expire, expire);
      assert.equal((await ctx.transport.client.fetch(url, "g", "far")).expire, Date.UTC(2200, 0, 1, 0, 0, 0, 7));
      assert.equal((await ctx.transport.client.fetch(url, "g", "plain")).expire, undefined);
    });

    it("remove reaches the peer's handler with the group and key", async () => {
      handler.values.get("g")?.set("a b/c", { value: utf8("stored") });
      await ctx.transport.client.remove(url, "g", "a b/c");
      assert.deepEqual(handler.removes, [{ group: "g", key: "a b/c" }]);
      assert.equal(text((await ctx.transport.client.fetch(url, "g", "a b/c")).value), "value-of:a b/c");
    });

    it("set stores the value and expiry at the peer, and a later fetch returns them", async () => {
      const expire = Date.now() + 60_000;
      const value = Uint8Array.from([0, 1, 2, 255]);
      await ctx.transport.client.set(url, "g", "ключ+1", { value, expire });
      assert.equal(handler.sets.length, 1);
      assert.equal(handler.sets[0]?.key, "ключ+1");
      assert.deepEqual(new Uint8Array(handler.sets[0]?.value.value ?? []), value);
      assert.equal(handler.sets[0]?.value.expire, expire);
      const got = await ctx.transport.client.fetch(url, "g", "ключ+1");
      assert.deepEqual(new Uint8Array(got.value), value);
      assert.equal(got.expire, expire);
      await ctx.transport.client.set(url, "g", "empty-set", { value: new Uint8Array(0) });
      assert.equal((await ctx.transport.client.fetch(url, "g", "empty-set")).value.length, 0);
      assert.equal(handler.sets[1]?.value.expire, undefined);
    });

    it("remove and set on an unknown group reject with a PeerError", async () => {
      for (const call of [() => ctx.transport.client.remove(url, "nope", "k"), () => ctx.transport.client.set(url, "nope", "k", { value: utf8("v") })]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(isPeerError(error), `expected a PeerError, got ${String(error)}`);
      }
    });

    it("an unreachable peer rejects with a PeerError (fetch, remove and set)", async () => {
      const dead = ctx.unreachableUrl ?? (await closedPortUrl());
      for (const call of [
        () => ctx.transport.client.fetch(dead, "g", "k"),
        () => ctx.transport.client.remove(dead, "g", "k"),
        () => ctx.transport.client.set(dead, "g", "k", { value: utf8("v") }),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(isPeerError(error), `expected a PeerError, got ${String(error)}`);
        assert.equal(error.code, "CACHECLUSTER_PEER_FETCH_FAILED");
      }
    });

    it("stop() twice resolves", async () => {
      await ctx.transport.stop();
      await ctx.transport.stop();
    });
  });
}
