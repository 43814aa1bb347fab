// A Compute call that outlives its deadline, or is in flight at stop(), is cancelled: its connection closes then,
// not when the server finally answers. Each test has a fake of its own, so only its connections count.
import assert from "node:assert/strict";
import { afterEach, before, describe, it } from "node:test";
import type { FakeGce } from "@cachecluster/testing/fake-gce";
import { ComputeWorker } from "../src/compute-worker-host.js";
import type { GceDiscovery } from "../src/index.js";
import { newDiscovery, startFake, until, warmUp } from "./helpers.js";

describe("GceDiscovery cancels the Compute calls it abandons", () => {
  let gce: FakeGce;
  let close: () => Promise<void> = async () => {};
  let discovery: GceDiscovery | undefined;

  before(async () => warmUp());
  afterEach(async () => {
    await discovery?.stop();
    discovery = undefined;
    await close();
  });

  it("a call past the request timeout closes its connection at the deadline", async () => {
    ({ gce, close } = await startFake({ self: { name: "node-0" } }));
    gce.inject({ latencyMs: 60_000, times: Infinity });
    // 3 s: time for the token and the request to reach the fake on a loaded machine; no retry for a minute after.
    const made = newDiscovery(gce, { project: "fake-project", zones: ["us-central1-a"], requestTimeoutMs: 3_000, backoffBaseMs: 60_000, backoffCapMs: 60_000 });
    discovery = made.discovery;
    const d = discovery;
    await d.start();
    await until(() => d.stats().failures === 1, 30_000, "the timeout");
    assert.equal(d.stats().lastError?.kind, "timeout");
    assert.equal(gce.computeRequests().length, 1, "the list call did not reach the fake before its deadline");
    // The fake would answer only after 60 s: the connection must be gone within moments of the deadline.
    await until(() => gce.openConnections("compute") === 0, 1_000, "the hung call's connection to close").catch(() => {});
    assert.equal(gce.openConnections("compute"), 0, "the timed-out call still holds its connection");
  });

  it("stop() during a call closes its connection", async () => {
    ({ gce, close } = await startFake({ self: { name: "node-0" } }));
    gce.inject({ latencyMs: 60_000, times: Infinity });
    const made = newDiscovery(gce, { project: "fake-project", zones: ["us-central1-a"], requestTimeoutMs: 30_000 });
    discovery = made.discovery;
    const d = discovery;
    await d.start();
    await until(() => gce.computeRequests().length === 1 && gce.openConnections("compute") === 1, 20_000, "the hung list call");
    const stopping = performance.now();
    await d.stop();
    const stopMs = performance.now() - stopping;
    await until(() => gce.openConnections("compute") === 0, 1_000, "the connection to close").catch(() => {});
    assert.equal(gce.openConnections("compute"), 0, "stop() left the in-flight call's connection open");
    assert.ok(stopMs < 1_000, `stop() took ${stopMs.toFixed(0)} ms`);
    assert.equal(d.stats().failures, 0, "a call cancelled by stop() is not a failed refresh");
  });

  it("stop() while the metadata server is answering opens no Compute client afterwards", async () => {
    ({ gce, close } = await startFake({ self: { name: "node-0" } }));
    gce.inject({ api: "metadata", path: "/project/project-id", latencyMs: 600 });
    const made = newDiscovery(gce, { requestTimeoutMs: 5_000 });
    discovery = made.discovery;
    const d = discovery;
    await d.start();
    await until(() => gce.metadataRequests().some((r) => r.path.endsWith("/project-id")), 20_000, "the metadata read");
    await d.stop();
    // The metadata server answers after stop(); the abandoned refresh must not go on to open a client.
    await until(() => gce.metadataRequests().some((r) => r.path.endsWith("/project-id") && r.status === 200), 5_000, "the late answer");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ComputeWorker.shared().openClients, 0);
    assert.equal(gce.computeRequests().length, 0);
  });
});
