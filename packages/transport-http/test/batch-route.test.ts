import assert from "node:assert/strict";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { DecodeError, type PeerBatchResult } from "@cachecluster/core";
import { RecordingPeerHandler } from "@cachecluster/testing/compliance/transport";
import { HttpTransport } from "../src/index.js";
import { splitBatch } from "../src/client/split-batch.js";
import { type HttpReply, sendRequest } from "./helpers/raw-http.js";
import { TooManyKeysError, decodeGetManyRequest, decodeGetManyResponse, encodeGetManyRequest, encodeGetManyResponse } from "../src/wire/get-many.js";

const te = new TextEncoder();
const td = new TextDecoder();

function post(port: number, path: string, body: Uint8Array | undefined, method = "POST", headers: Record<string, string> = {}): Promise<HttpReply> {
  return sendRequest(port, path, method, body, headers);
}

function values(results: PeerBatchResult[]): string[] {
  return results.map((r) => (r.status === "fulfilled" ? td.decode(r.value.value) : `error: ${(r.reason as Error).message}`));
}

describe("batch wire format", () => {
  it("a request and a response survive a round trip, values, errors and omissions in order", () => {
    const keys = ["a", "", "ключ", "x".repeat(300)];
    assert.deepEqual(decodeGetManyRequest(encodeGetManyRequest(keys), 10), keys);
    const bytes = encodeGetManyResponse([
      { kind: "value", value: te.encode("v1") },
      { kind: "error", text: "boom" },
      { kind: "omitted", size: 70_000_000 },
      { kind: "value", value: new Uint8Array(0), expire: 1_700_000_000_123 },
    ]);
    const entries = decodeGetManyResponse(bytes, 4);
    assert.deepEqual(
      entries.map((e) => (e.kind === "value" ? [td.decode(e.response.value), e.response.expire] : e)),
      [["v1", undefined], { kind: "error", text: "boom" }, { kind: "omitted", size: 70_000_000 }, ["", 1_700_000_000_123]],
    );
  });

  it("refuses more keys than the limit, and a response with another number of results than keys asked for", () => {
    assert.throws(() => decodeGetManyRequest(encodeGetManyRequest(["a", "b", "c"]), 2), TooManyKeysError);
    const two = encodeGetManyResponse([
      { kind: "error", text: "x" },
      { kind: "error", text: "y" },
    ]);
    assert.throws(() => decodeGetManyResponse(two, 3), /2 results for 3 keys/);
    assert.throws(() => decodeGetManyResponse(two, 1), /more than the 1 results asked for/);
  });

  it("garbage is a DecodeError (or too many keys), never another exception, for both messages", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 8 }), (bytes, count) => {
        for (const decode of [() => decodeGetManyRequest(bytes, 4), () => decodeGetManyResponse(bytes, count)]) {
          try {
            decode();
          } catch (error) {
            assert.ok(error instanceof DecodeError || error instanceof TooManyKeysError, String(error));
          }
        }
      }),
      { numRuns: 3000 },
    );
    assert.throws(() => decodeGetManyRequest(Uint8Array.of(0x0a, 0x02, 0xc3, 0x28), 4), /key 0 is not valid UTF-8/);
  });

  it("splits a batch by key count and request bytes, in order, a key larger than the limit alone", () => {
    assert.deepEqual(splitBatch(["a", "b", "c", "d", "e"], 2, 1000), [["a", "b"], ["c", "d"], ["e"]]);
    assert.deepEqual(splitBatch(["a", "b", "c"], 10, 14), [["a", "b"], ["c"]]);
    assert.deepEqual(splitBatch(["x".repeat(50), "a"], 10, 20), [["x".repeat(50)], ["a"]]);
  });
});

describe("batch route (server)", () => {
  const handler = new RecordingPeerHandler();
  // The batch route itself: no peer stream (over one, fetchMany sends the keys as stream gets).
  const transport = new HttpTransport({ maxBatchKeys: 5, maxBatchRequestBytes: 200, maxBatchResponseBytes: 120, closeTimeout: 200, stream: false });
  let port = 0;
  before(async () => {
    port = (await transport.listen(handler, { host: "127.0.0.1", port: 0 })).port;
  });
  after(() => transport.stop());

  it("answers the keys' values in order, with the batch header, each key a get at the handler", async () => {
    const gets = handler.gets.length;
    const res = await post(port, "/_groupcache_batch/g", encodeGetManyRequest(["k1", "k2", "k1"]));
    assert.equal(res.status, 200);
    assert.equal(res.headers["cachecluster-batch"], "1");
    const entries = decodeGetManyResponse(res.body, 3);
    assert.deepEqual(
      entries.map((e) => (e.kind === "value" ? td.decode(e.response.value) : e.kind)),
      ["value-of:k1", "value-of:k2", "value-of:k1"],
    );
    assert.equal(transport.serverStats.batchKeys, 3);
    assert.equal(handler.gets.length - gets, 3);
  });

  it("a key whose loader fails carries its error text; a value past maxBatchResponseBytes is left out, not the batch", async () => {
    handler.values.get("g")?.set("big", { value: new Uint8Array(90) });
    const failing = await post(port, "/_groupcache_batch/fail", encodeGetManyRequest(["k7"]));
    assert.equal(failing.status, 200);
    assert.deepEqual(decodeGetManyResponse(failing.body, 1), [{ kind: "error", text: "boom: k7" }]);
    const res = await post(port, "/_groupcache_batch/g", encodeGetManyRequest(["a", "big", "b"]));
    assert.deepEqual(
      decodeGetManyResponse(res.body, 3).map((e) => (e.kind === "value" ? td.decode(e.response.value) : e)),
      ["value-of:a", { kind: "omitted", size: 90 }, "value-of:b"],
    );
  });

  it("refuses what the single-key route refuses, with clear 4xx answers that carry the batch header", async () => {
    const cases: [string, Uint8Array | undefined, string, number, RegExp][] = [
      ["/_groupcache_batch/nope", encodeGetManyRequest(["k"]), "POST", 404, /^no such group: nope\n$/],
      ["/_groupcache_batch/g", undefined, "GET", 405, /batch route serves POST/],
      ["/_groupcache_batch/g", encodeGetManyRequest(["1", "2", "3", "4", "5", "6"]), "POST", 413, /too many keys: more than 5/],
      ["/_groupcache_batch/g", encodeGetManyRequest(["x".repeat(300)]), "POST", 413, /request body too large: \d+ bytes, at most 200/],
      ["/_groupcache_batch/g", Uint8Array.of(0x12, 0x01, 0x00), "POST", 400, /bad request: expected a protobuf GetManyRequest/],
      ["/_groupcache_batch/g", Uint8Array.of(0x0a, 0x7f), "POST", 400, /past the end/],
      ["/_groupcache_batch/g/k", encodeGetManyRequest(["k"]), "POST", 400, /bad request/],
      ["/_groupcache_batch/%zz", encodeGetManyRequest(["k"]), "POST", 400, /bad request/],
    ];
    for (const [path, body, method, status, text] of cases) {
      const res = await post(port, path, body, method);
      assert.equal(res.status, status, `${method} ${path}`);
      assert.match(res.body.toString(), text, `${method} ${path}`);
      if (path !== "/_groupcache_batch/g/k" && path !== "/_groupcache_batch/%zz") assert.equal(res.headers["cachecluster-batch"], "1", path);
    }
    assert.equal((await post(port, "/_groupcache_batch/g", undefined, "GET")).headers.allow, "POST");
  });

  it("serves current members only: another address gets 403 and its body is never read", async () => {
    handler.memberAddresses = new Set(["10.9.9.9"]);
    try {
      const before = handler.gets.length;
      const res = await post(port, "/_groupcache_batch/g", encodeGetManyRequest(["k"]));
      assert.equal(res.status, 403);
      assert.match(res.body.toString(), /cluster members only/);
      assert.equal(handler.gets.length, before);
    } finally {
      handler.memberAddresses = undefined;
    }
  });

  it("keeps serving after a stream of garbage bodies", async () => {
    const bodies = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 120 }), { numRuns: 40, seed: 7 });
    for (const body of bodies) {
      const res = await post(port, "/_groupcache_batch/g", body);
      assert.ok([200, 400, 413].includes(res.status), `status ${res.status}`);
    }
    const res = await post(port, "/_groupcache_batch/g", encodeGetManyRequest(["after"]));
    assert.equal(res.status, 200);
  });
});

describe("HttpTransportClient.fetchMany", () => {
  const handler = new RecordingPeerHandler();
  const server = new HttpTransport({ maxBatchResponseBytes: 100, closeTimeout: 200 });
  const client = new HttpTransport({ maxBatchKeys: 3, closeTimeout: 200, stream: false }).client;
  let url = "";
  /** A peer with golang/groupcache's routes only: the single-key path, 404 elsewhere (Go's ServeMux). */
  let goLike: Server;
  let goLikeUrl = "";
  const goLikeRequests: string[] = [];

  before(async () => {
    url = (await server.listen(handler, { host: "127.0.0.1", port: 0 })).url;
    const peer = (await import("../src/index.js")).createPeerHandler(handler);
    goLike = createServer((req: IncomingMessage, res: ServerResponse) => {
      goLikeRequests.push(`${req.method ?? ""} ${req.url ?? ""}`);
      if (req.url?.startsWith("/_groupcache/") === true) return peer(req, res);
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("404 page not found\n");
    });
    await new Promise<void>((resolve) => goLike.listen(0, "127.0.0.1", resolve));
    goLikeUrl = `http://127.0.0.1:${(goLike.address() as AddressInfo).port}`;
  });
  after(async () => {
    await client.close();
    await server.stop();
    goLike.closeAllConnections();
    await new Promise((resolve) => goLike.close(resolve));
  });

  it("asks a Node peer in one request per maxBatchKeys keys, and gives each key its own result", async () => {
    const before = server.serverStats.batches;
    const results = await client.fetchMany(url, "g", ["a", "b", "c", "d"]);
    assert.deepEqual(values(results), ["value-of:a", "value-of:b", "value-of:c", "value-of:d"]);
    assert.equal(server.serverStats.batches - before, 2);
    const failing = await client.fetchMany(url, "fail", ["k1"]);
    assert.match(values(failing)[0] ?? "", /key "k1": server returned 500 Internal Server Error: boom: k1/);
    await assert.rejects(client.fetchMany(url, "nope", ["k"]), { code: "CACHECLUSTER_PEER_FETCH_FAILED", status: 404 });
  });

  it("fetches alone a value the peer left out of its answer", async () => {
    handler.values.get("g")?.set("big", { value: new Uint8Array(500).fill(120) });
    const gets = server.serverStats.gets;
    const results = await client.fetchMany(url, "g", ["a", "big"]);
    assert.deepEqual(
      results.map((r) => r.status === "fulfilled" && r.value.value.length),
      [10, 500],
    );
    assert.equal(server.serverStats.gets - gets, 1, "one single-key GET for the omitted value");
  });

  it("falls back to single-key GETs for a peer without the batch route, and remembers it", async () => {
    const first = await client.fetchMany(goLikeUrl, "g", ["a", "b"]);
    assert.deepEqual(values(first), ["value-of:a", "value-of:b"]);
    const second = await client.fetchMany(goLikeUrl, "g", ["c"]);
    assert.deepEqual(values(second), ["value-of:c"]);
    // (The client also asks once for the peer stream, which such a peer refuses: not a fetch.)
    assert.deepEqual(
      goLikeRequests.filter((r) => !r.endsWith("/_stream")),
      ["POST /_groupcache_batch/g", "GET /_groupcache/g/a", "GET /_groupcache/g/b", "GET /_groupcache/g/c"],
    );
  });
});
