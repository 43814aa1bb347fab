import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PeerCallOptions, PeerRequestHandler, PeerValue, TraceCarrier } from "@cachecluster/core";
import { HttpTransport } from "../src/index.js";

/** Answers every get, keeping the trace context the server handed over. */
class ContextRecorder implements PeerRequestHandler {
  readonly seen: (TraceCarrier | undefined)[] = [];
  async get(_group: string, key: string, options?: PeerCallOptions): Promise<PeerValue> {
    this.seen.push(options?.traceContext);
    return { value: new TextEncoder().encode(`value-of:${key}`) };
  }
  async remove(): Promise<void> {}
  async set(): Promise<void> {}
  isMemberAddress(): boolean {
    return true;
  }
}

describe("trace context over HTTP (W3C traceparent)", () => {
  const handler = new ContextRecorder();
  const server = new HttpTransport();
  const client = new HttpTransport();
  let url = "";
  before(async () => {
    url = (await server.listen(handler, { host: "127.0.0.1", port: 0 })).url;
  });
  after(() => Promise.all([server.stop(), client.stop()]));

  it("the client sends the call's trace context as request headers, and the server hands the request's headers to the handler", async () => {
    const traceContext = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "vendor=opaque" };
    const got = await client.client.fetch(url, "g", "k", { traceContext });
    assert.equal(new TextDecoder().decode(got.value), "value-of:k");
    const seen = handler.seen.at(-1);
    assert.equal(seen?.["traceparent"], traceContext.traceparent);
    assert.equal(seen?.["tracestate"], traceContext.tracestate);
  });

  it("a field given more than once is sent once, with its first value", async () => {
    await client.client.fetch(url, "g", "k2", { traceContext: { traceparent: ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-x"] } });
    assert.equal(handler.seen.at(-1)?.["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  });

  it("a fetch without trace context sends no traceparent", async () => {
    await client.client.fetch(url, "g", "k3");
    assert.equal(handler.seen.at(-1)?.["traceparent"], undefined);
  });
});
