import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { SpanKind, SpanStatusCode, context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { type CacheCluster, type Group, alwaysHot, createCacheCluster, neverHot, silentLogger } from "@cachecluster/core";
import { httpTransport } from "@cachecluster/transport-http";

// The app's OpenTelemetry setup, as an SDK does it: a context manager, the W3C propagator, a tracer provider.
const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
const tracer = trace.getTracer("app");

interface Node {
  readonly cluster: CacheCluster;
  readonly url: string;
  readonly loads: string[];
}

/** Three nodes in this process on loopback, over the real HTTP transport, each with groups "hot" (every peer value hot-cached) and "cold". */
async function startNodes(): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < 3; i++) {
    const cluster = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" }, cluster: { name: `n${i}`, advertise: "127.0.0.1" } }, [httpTransport()], {
      logger: silentLogger,
    });
    const loads: string[] = [];
    const load = async (key: string): Promise<string> => {
      loads.push(key);
      // The loader's own spans (a database query) belong under the load span.
      return tracer.startActiveSpan("db query", async (span) => {
        await new Promise((r) => setTimeout(r, 5));
        span.end();
        if (key.startsWith("fail")) throw new Error(`no row for ${key}`);
        return `v:${key}`;
      });
    };
    cluster.group("hot", { hotPolicy: alwaysHot, load });
    cluster.group("cold", { hotPolicy: neverHot, load });
    const { url } = await cluster.listen();
    nodes.push({ cluster, url, loads });
  }
  for (const node of nodes) {
    const others = nodes.filter((n) => n !== node).map((n) => ({ host: "127.0.0.1", cacheUrl: n.url, name: n.cluster.local.name }));
    await node.cluster.membership.join(others);
  }
  return nodes;
}

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const named = (name: string): ReadableSpan[] => spans().filter((s) => s.name === name);
const only = (name: string): ReadableSpan => {
  const found = named(name);
  assert.equal(
    found.length,
    1,
    `one span "${name}", got ${found.length}: ${spans()
      .map((s) => s.name)
      .join(", ")}`,
  );
  return found[0]!;
};
const isChildOf = (child: ReadableSpan, parent: ReadableSpan): boolean =>
  child.spanContext().traceId === parent.spanContext().traceId && child.parentSpanContext?.spanId === parent.spanContext().spanId;

/** Spans end as their promises settle: wait until `count` spans are exported (bounded). */
async function settled(count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (spans().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

describe("traces across peers (OpenTelemetry SDK, three nodes over HTTP)", () => {
  let nodes: Node[];
  let next = 0;
  /** A key not used before whose owner is node `owner`. */
  const keyOwnedBy = (owner: number, prefix = "k"): string => {
    for (;;) {
      const key = `${prefix}-${next++}`;
      if (nodes[0]!.cluster.ring.get(key) === nodes[owner]!.url) return key;
    }
  };
  const group = (node: number, name: "hot" | "cold"): Group => nodes[node]!.cluster.getGroup(name)!;

  before(async () => {
    nodes = await startNodes();
  });
  after(() => Promise.all(nodes.map((n) => n.cluster.close({ leaveTimeoutMs: 10 }))));
  beforeEach(() => exporter.reset());

  it("one get through a non-owner is one trace: app span → get (peer) → fetch (client) → serve on the owner (server, remote parent) → load → the loader's span", async () => {
    const key = keyOwnedBy(1);
    const value = await tracer.startActiveSpan("request", async (span) => {
      const v = await group(0, "cold").getString(key);
      span.end();
      return v;
    });
    assert.equal(value, `v:${key}`);
    await settled(6);
    const [request, get, fetch, serve, load, query] = ["request", "get cold", "fetch cold", "serve cold", "load cold", "db query"].map<
      ReadableSpan | undefined
    >(only);
    const traceId = request!.spanContext().traceId;
    assert.deepEqual(new Set(spans().map((s) => s.spanContext().traceId)), new Set([traceId]), "every span in the app's trace");
    assert.ok(isChildOf(get!, request!), "get under the app's span");
    assert.ok(isChildOf(fetch!, get!), "peer fetch under the get");
    assert.ok(isChildOf(serve!, fetch!), "owner's span under the peer fetch");
    assert.equal(serve!.parentSpanContext?.isRemote, true, "the owner read its parent from the traceparent header");
    assert.ok(isChildOf(load!, serve!), "owner's load under its serve span");
    assert.ok(isChildOf(query!, load!), "the loader's own span under the load span");
    assert.deepEqual([get!.kind, fetch!.kind, serve!.kind, load!.kind], [SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.SERVER, SpanKind.INTERNAL]);
    assert.deepEqual(get!.attributes, { "cachecluster.group": "cold", "cachecluster.outcome": "peer", "cachecluster.peer": nodes[1]!.url });
    const port = Number(new URL(nodes[1]!.url).port);
    assert.deepEqual(fetch!.attributes, {
      "cachecluster.group": "cold",
      "cachecluster.peer": nodes[1]!.url,
      "server.address": "127.0.0.1",
      "server.port": port,
    });
    assert.deepEqual(serve!.attributes, { "cachecluster.group": "cold", "cachecluster.outcome": "load" });
    assert.deepEqual(
      nodes.map((n) => n.loads.filter((k) => k === key).length),
      [0, 1, 0],
      "loaded by the owner only",
    );
  });

  it("outcome hit: a value in this node's main cache, no child spans", async () => {
    const key = keyOwnedBy(0);
    await group(0, "cold").get(key);
    await settled(3);
    assert.equal(only("get cold").attributes["cachecluster.outcome"], "load");
    assert.ok(isChildOf(only("load cold"), only("get cold")));
    exporter.reset();
    await group(0, "cold").get(key);
    assert.deepEqual(
      spans().map((s) => [s.name, s.attributes["cachecluster.outcome"]]),
      [["get cold", "hit"]],
    );
  });

  it("outcome hot: a peer's value kept in the hot cache is served here without a fetch", async () => {
    const key = keyOwnedBy(2);
    await group(0, "hot").get(key);
    await settled(5);
    assert.equal(only("get hot").attributes["cachecluster.outcome"], "peer");
    exporter.reset();
    await group(0, "hot").get(key);
    assert.deepEqual(
      spans().map((s) => [s.name, s.attributes["cachecluster.outcome"], s.attributes["cachecluster.peer"]]),
      [["get hot", "hot", undefined]],
    );
  });

  it("outcome peer names the owner; the owner answers from its cache (serve outcome hit)", async () => {
    const key = keyOwnedBy(1);
    await group(1, "cold").get(key);
    exporter.reset();
    await group(2, "cold").get(key);
    await settled(3);
    assert.equal(only("get cold").attributes["cachecluster.peer"], nodes[1]!.url);
    assert.equal(only("get cold").attributes["cachecluster.outcome"], "peer");
    assert.equal(only("serve cold").attributes["cachecluster.outcome"], "hit");
    assert.equal(named("load cold").length, 0);
  });

  it("concurrent gets of one key share one load: the others say cachecluster.shared", async () => {
    const key = keyOwnedBy(0);
    await Promise.all([group(0, "cold").get(key), group(0, "cold").get(key), group(0, "cold").get(key)]);
    await settled(5);
    const gets = named("get cold");
    assert.equal(gets.length, 3);
    assert.deepEqual(gets.map((s) => s.attributes["cachecluster.shared"] ?? false).sort(), [false, true, true]);
    assert.ok(gets.every((s) => s.attributes["cachecluster.outcome"] === "load"));
    assert.equal(named("load cold").length, 1);
  });

  it("a failing load marks the owner's load and serve spans, the fetch and the get as errors with error.type", async () => {
    const key = keyOwnedBy(1, "fail");
    await assert.rejects(group(0, "cold").get(key));
    await settled(7);
    const [serve, fetch, get] = ["serve cold", "fetch cold", "get cold"].map<ReadableSpan | undefined>(only);
    const ownerLoad = named("load cold").find((s) => isChildOf(s, serve!))!;
    assert.equal(ownerLoad.status.code, SpanStatusCode.ERROR);
    assert.equal(ownerLoad.attributes["error.type"], "Error");
    assert.equal(ownerLoad.events[0]?.name, "exception");
    assert.equal(serve!.status.code, SpanStatusCode.ERROR);
    assert.equal(serve!.attributes["error.type"], "CACHECLUSTER_LOADER_FAILED");
    // The owner's 500 fails the fetch; the caller then loads itself (golang's fallback), which fails too.
    assert.equal(fetch!.status.code, SpanStatusCode.ERROR);
    assert.equal(fetch!.attributes["error.type"], "CACHECLUSTER_PEER_FETCH_FAILED");
    const localLoad = named("load cold").find((s) => isChildOf(s, get!))!;
    assert.equal(localLoad.status.code, SpanStatusCode.ERROR);
    assert.equal(get!.status.code, SpanStatusCode.ERROR);
    assert.equal(get!.attributes["error.type"], "CACHECLUSTER_LOADER_FAILED");
    assert.equal(get!.attributes["cachecluster.outcome"], "load");
    assert.equal(get!.attributes["cachecluster.peer"], nodes[1]!.url, "the get names the peer it tried");
  });

  it("a getMany is one trace: getMany span (keys, hits, errors) → one fetch per owner (its keys) → a serve per key on the owner; a key of this node loads under the getMany", async () => {
    const cached = keyOwnedBy(0);
    await group(0, "cold").get(cached);
    const keys = [cached, keyOwnedBy(0), keyOwnedBy(1), keyOwnedBy(1), keyOwnedBy(2)];
    exporter.reset();
    const results = await tracer.startActiveSpan("request", async (span) => {
      const got = await group(0, "cold").getMany(keys);
      span.end();
      return got;
    });
    assert.deepEqual(
      results.map((r) => r.status === "fulfilled" && new TextDecoder().decode(r.value)),
      keys.map((k) => `v:${k}`),
    );
    await settled(14);
    const [request, getMany] = ["request", "getMany cold"].map<ReadableSpan | undefined>(only);
    assert.ok(isChildOf(getMany!, request!));
    assert.deepEqual(getMany!.attributes, { "cachecluster.group": "cold", "cachecluster.keys": 5, "cachecluster.hits": 1, "cachecluster.errors": 0 });
    const fetches = named("fetch cold");
    const keysAsked = new Map(fetches.map((f) => [f.attributes["cachecluster.peer"], f.attributes["cachecluster.keys"]]));
    assert.deepEqual(
      keysAsked,
      new Map([
        [nodes[1]!.url, 2],
        [nodes[2]!.url, 1],
      ]),
    );
    for (const f of fetches) assert.ok(isChildOf(f, getMany!), "each owner's fetch under the getMany");
    const serves = named("serve cold");
    assert.equal(serves.length, 3, "a serve span per key at the owners");
    for (const serve of serves)
      assert.ok(
        fetches.some((f) => isChildOf(serve, f)),
        "each serve under its batch's fetch",
      );
    assert.equal(named("load cold").filter((l) => isChildOf(l, getMany!)).length, 1, "this node's own missing key loads under the getMany");
  });

  it("the trace crosses the peer stream too: the owner's serve is the fetch's child (remote parent), its load under it", async () => {
    const streamGets = (): number => (nodes[1]!.cluster.transport as unknown as { stats(): Record<string, number> }).stats().serverStreamGetsTotal ?? 0;
    // Until node 0's stream to node 1 is open (its first gets go over HTTP while it opens): a get it serves there.
    for (let i = 0; i < 200; i++) {
      const before = streamGets();
      await group(0, "cold").getString(keyOwnedBy(1, "opening"));
      if (streamGets() > before) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    exporter.reset();
    const before = streamGets();
    const key = keyOwnedBy(1);
    await tracer.startActiveSpan("request", async (span) => {
      await group(0, "cold").getString(key);
      span.end();
    });
    assert.equal(streamGets(), before + 1, "the get went over the stream");
    await settled(6);
    const [request, get, fetch, serve, load] = ["request", "get cold", "fetch cold", "serve cold", "load cold"].map<ReadableSpan | undefined>(only);
    assert.ok(isChildOf(get!, request!));
    assert.ok(isChildOf(fetch!, get!));
    assert.ok(isChildOf(serve!, fetch!), "owner's span under the peer fetch, over the stream");
    assert.equal(serve!.parentSpanContext?.isRemote, true);
    assert.ok(isChildOf(load!, serve!));
    assert.deepEqual(serve!.attributes, { "cachecluster.group": "cold", "cachecluster.outcome": "load" });
  });

  it("a request without traceparent (as a Go peer sends) is served in a trace of its own", async () => {
    const key = keyOwnedBy(1);
    const response = await fetch(`${nodes[1]!.url}/_groupcache/cold/${encodeURIComponent(key)}`);
    assert.equal(response.status, 200);
    await settled(3);
    const serve = only("serve cold");
    assert.equal(serve.parentSpanContext, undefined);
    assert.ok(isChildOf(only("load cold"), serve));
  });
});
