import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { afterEach, describe, it } from "node:test";
import type { PeerValue, TransportClient } from "../src/index.js";
import { CacheGroup } from "../src/engine/group.js";
import { type Tracing, activeTracing, loadTracing, resetTracing } from "../src/engine/tracing.js";

const REGISTRY = Symbol.for("opentelemetry.js.api.1");
const globals = globalThis as { [REGISTRY]?: unknown };
const apiLoaded = (): boolean => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes("@opentelemetry"));

/** A group whose keys starting with "remote" are owned by a peer that answers them. */
function group(): CacheGroup {
  const client: TransportClient = {
    fetch: async (_peer, _group, key): Promise<PeerValue> => ({ value: new TextEncoder().encode(`peer:${key}`) }),
    remove: async () => {},
    set: async () => {},
  };
  const picker = { pickPeer: (key: string) => (key.startsWith("remote") ? "http://owner:9080" : undefined) };
  return new CacheGroup("g", { load: (key) => `load:${key}` }, { picker, client });
}

describe("tracing without an OpenTelemetry SDK", () => {
  afterEach(() => {
    delete globals[REGISTRY];
    resetTracing();
  });

  it("with nothing registered, gets (hit, load, peer) never load @opentelemetry/api", async () => {
    resetTracing();
    const g = group();
    assert.equal(await g.getString("a"), "load:a");
    assert.equal(await g.getString("a"), "load:a");
    assert.equal(await g.getString("remote-a"), "peer:remote-a");
    assert.equal((await g.serve("b")).value.byteLength, "load:b".length);
    assert.equal(activeTracing(), undefined);
    assert.equal(apiLoaded(), false);
  });

  it("a registry holding no tracer provider (only a propagator, say) keeps tracing off", () => {
    globals[REGISTRY] = { version: "1.9.1", propagation: {} };
    resetTracing();
    assert.equal(activeTracing(), undefined);
    assert.equal(apiLoaded(), false);
  });

  it("when @opentelemetry/api cannot be loaded, tracing is off: gets work untraced though a tracer provider is registered", async () => {
    let tries = 0;
    const missing = loadTracing(() => {
      tries++;
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: "MODULE_NOT_FOUND" });
    });
    assert.equal(missing, null);
    assert.equal(tries, 1);
    globals[REGISTRY] = { version: "1.9.1", trace: {} };
    resetTracing(missing);
    const g = group();
    assert.equal(await g.getString("a"), "load:a");
    assert.equal(await g.getString("a"), "load:a");
    assert.equal(await g.getString("remote-b"), "peer:remote-b");
    assert.equal(activeTracing(), undefined);
  });

  it("a tracer provider registered after the first gets is seen within 256 gets, and at once by a group created after it", () => {
    const sentinel = { api: {}, tracer: {} } as Tracing;
    resetTracing(sentinel);
    for (let i = 0; i < 10; i++) assert.equal(activeTracing(), undefined);
    globals[REGISTRY] = { version: "1.9.1", trace: {} };
    let calls = 1;
    while (activeTracing() !== sentinel && calls < 1000) calls++;
    assert.ok(calls <= 256, `seen after ${calls} calls`);

    delete globals[REGISTRY];
    resetTracing(sentinel);
    assert.equal(activeTracing(), undefined);
    globals[REGISTRY] = { version: "1.9.1", trace: {} };
    assert.equal(activeTracing(), undefined, "not looked for yet");
    group();
    assert.equal(activeTracing(), sentinel);
  });
});
