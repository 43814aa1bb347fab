import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { FakeGce, FakeGceFault } from "@cachecluster/testing/fake-gce";
import { DiscoveryError, type DiscoveryFailureKind, type GceDiscovery, type GceDiscoveryOptionsInput } from "../src/index.js";
import { names, newDiscovery, startFake, until, waitForPeers, warmUp } from "./helpers.js";

interface Case {
  readonly title: string;
  readonly fault: FakeGceFault;
  readonly kind: DiscoveryFailureKind;
  readonly status?: number;
  /** Text the logged message must contain (the cause). */
  readonly says: string;
  readonly requestTimeoutMs?: number;
  /** Failed refreshes to wait for (default 3; slow faults 2 — still a repeat, which must not be logged again). */
  readonly failures?: number;
}

const cases: Case[] = [
  { title: "403 permission denied", fault: { status: 403 }, kind: "forbidden", status: 403, says: "compute.instances.list" },
  {
    title: "403 rateLimitExceeded",
    fault: { status: 403, reason: "rateLimitExceeded", message: "Rate Limit Exceeded" },
    kind: "quota",
    status: 403,
    says: "rateLimitExceeded",
  },
  { title: "429 quota exceeded", fault: { status: 429 }, kind: "quota", status: 429, says: "Quota exceeded" },
  { title: "500 backend error", fault: { status: 500 }, kind: "server", status: 500, says: "HTTP 500" },
  { title: "503 unavailable", fault: { status: 503 }, kind: "server", status: 503, says: "HTTP 503" },
  { title: "401 token rejected", fault: { status: 401 }, kind: "auth", status: 401, says: "HTTP 401" },
  { title: "a body that is not JSON", fault: { body: "{not json" }, kind: "malformed", says: "JSON" },
  { title: "items that are not a list", fault: { body: '{"kind":"compute#instanceList","items":42}' }, kind: "malformed", says: "items" },
  { title: "an answer slower than the request timeout", fault: { latencyMs: 2_500 }, kind: "timeout", says: "timeout", requestTimeoutMs: 1_000, failures: 2 },
  { title: "a connection reset", fault: { reset: true }, kind: "network", says: "socket" },
  {
    title: "the metadata server failing to issue a token",
    fault: { api: "metadata", path: "/token", status: 500, body: "internal error" },
    kind: "auth",
    says: "access token",
    requestTimeoutMs: 5_000,
    failures: 2,
  },
];

describe("GceDiscovery under faults: the last good list stays, the failure is logged once with its cause, and discovery recovers", () => {
  let gce: FakeGce;
  let close: () => Promise<void>;
  let discovery: GceDiscovery | undefined;

  before(async () => {
    ({ gce, close } = await startFake({ self: { name: "node-0", tags: ["cache"] } }));
    await warmUp();
  });
  after(async () => close());
  afterEach(async () => {
    await discovery?.stop();
    discovery = undefined;
    gce.reset();
  });

  for (const c of cases) {
    it(`${c.title}: keeps the last good peers, logs one warning (${c.kind}), recovers`, async () => {
      gce.addInstance({ name: "node-1", tags: ["cache"] });
      const made = newDiscovery(gce, { tags: ["cache"], requestTimeoutMs: c.requestTimeoutMs ?? 5_000 });
      const { logger } = made;
      discovery = made.discovery;
      const d = discovery;
      const seen: string[][] = [];
      d.onPeers((p) => seen.push(names(p)));
      await d.start();
      await waitForPeers(d, (p) => p.length === 2, 20_000);
      const good = names(d.peers());
      // A token fault only bites when the client needs a new token: a fresh discovery fetches one on its first call.
      if (c.fault.api === "metadata") {
        await d.stop();
        await d.start();
      }
      gce.inject({ ...c.fault, times: Infinity });
      gce.addInstance({ name: "node-2", tags: ["cache"] });
      const failures = c.failures ?? 3;
      await until(() => d.stats().failures >= failures, 20_000, `${failures} failed refreshes`);
      // During the failures: the list is the last good one, and no listener saw anything else.
      assert.deepEqual(names(d.peers()), good);
      assert.ok(
        seen.every((s) => s.join() === good.join()),
        JSON.stringify(seen),
      );
      const error = d.stats().lastError;
      assert.ok(error instanceof DiscoveryError);
      assert.equal(error.kind, c.kind, error.message);
      assert.equal(error.code, "CACHECLUSTER_DISCOVERY_FAILED");
      if (c.status !== undefined) assert.equal(error.status, c.status);
      if (c.kind !== "timeout") assert.ok(error.cause !== undefined, "the error keeps its cause");
      // Logged once at warn (repeats go to debug), with the cause in the message.
      const warnings = logger.at("warn").filter((e) => e.obj.err instanceof DiscoveryError);
      assert.equal(warnings.length, 1, warnings.map((w) => w.msg).join("\n"));
      assert.ok(warnings[0]?.msg.toLowerCase().includes(c.says.toLowerCase()), warnings[0]?.msg);
      // Recovery: once the fault is gone, the next good answer replaces the list.
      gce.clearFaults();
      const recovered = await waitForPeers(d, (p) => p.length === 3, 15_000);
      assert.deepEqual(names(recovered), ["node-0", "node-1", "node-2"]);
      assert.ok(logger.at("info").some((e) => e.msg.includes("recovered")));
    });
  }

  it("after a quota error the next attempt waits at least the regular period", async () => {
    const made = newDiscovery(gce, { refreshMs: 300 });
    discovery = made.discovery;
    await discovery.start();
    await waitForPeers(discovery, (p) => p.length === 1, 20_000);
    gce.inject({ status: 429, times: 1 });
    const d = discovery;
    await until(() => d.stats().failures === 1, 5_000, "the quota failure");
    const next = d.stats().nextRefreshMs ?? 0;
    assert.ok(next >= 300, `retry in ${next} ms`);
  });

  /** The delay discovery chose after one failure answered with `fault`. */
  async function delayAfter(fault: FakeGceFault, options: GceDiscoveryOptionsInput = {}): Promise<number> {
    const made = newDiscovery(gce, { refreshMs: 300, jitter: 0.1, backoffBaseMs: 20, backoffCapMs: 60_000, ...options });
    discovery = made.discovery;
    const d = discovery;
    await d.start();
    await waitForPeers(d, (p) => p.length === 1, 20_000);
    gce.inject(fault);
    await until(() => d.stats().failures === 1, 5_000, "the failure");
    return d.stats().nextRefreshMs ?? 0;
  }

  it("429 with Retry-After in seconds: the next attempt waits that long, spread up to +jitter, not the usual backoff", async () => {
    const delay = await delayAfter({ status: 429, retryAfter: 2 });
    assert.ok(delay >= 2_000 && delay <= 2_200, `retry in ${delay} ms`);
    assert.equal(discovery?.stats().lastError?.retryAfterMs, 2_000);
  });

  it("503 with Retry-After as an HTTP date: the next attempt waits until then", async () => {
    const delay = await delayAfter({ status: 503, retryAfter: new Date(Date.now() + 4_000).toUTCString() });
    assert.ok(delay >= 2_900 && delay <= 4_400, `retry in ${delay} ms`);
  });

  it("a Retry-After beyond backoffCapMs waits backoffCapMs (plus jitter)", async () => {
    const delay = await delayAfter({ status: 503, retryAfter: 3_600 }, { backoffCapMs: 1_000 });
    assert.ok(delay >= 1_000 && delay <= 1_100, `retry in ${delay} ms`);
  });

  it("a Retry-After that is neither seconds nor a date is ignored: the usual backoff applies", async () => {
    const delay = await delayAfter({ status: 503, retryAfter: "soon" });
    assert.ok(delay >= 10 && delay <= 20, `retry in ${delay} ms`);
  });

  it("backoff grows exponentially up to the cap while failures last", async () => {
    const made = newDiscovery(gce, { backoffBaseMs: 20, backoffCapMs: 160 });
    discovery = made.discovery;
    const d = discovery;
    await d.start();
    await waitForPeers(d, (p) => p.length === 1, 20_000);
    gce.inject({ status: 500, times: Infinity });
    const delays: number[] = [];
    for (let n = 1; n <= 6; n++) {
      await until(() => d.stats().consecutiveFailures >= n, 5_000, `failure ${n}`);
      delays.push(d.stats().nextRefreshMs ?? 0);
    }
    // Equal jitter: delay n lies in [exp/2, exp] with exp = min(cap, base * 2^(n-1)).
    delays.forEach((delay, i) => {
      const exp = Math.min(160, 20 * 2 ** i);
      assert.ok(delay >= exp / 2 && delay <= exp, `delay ${i + 1} = ${delay}, expected within [${exp / 2}, ${exp}]`);
    });
    gce.clearFaults();
    await waitForPeers(d, () => d.stats().consecutiveFailures === 0, 5_000);
  });
});
