import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { HttpTransport } from "../src/index.js";
import { encodeGetResponse } from "../src/wire/get-response.js";
import { rejection } from "./helpers/rejection.js";

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** A misbehaving peer: each path answers its own way. */
function badPeer(routes: Record<string, Route>): { start(): Promise<string>; stop(): Promise<void>; connections: () => number; open: () => number } {
  let connections = 0;
  let open = 0;
  const server = createServer((req, res) => {
    const key = decodeURIComponent((req.url ?? "").split("/").pop() ?? "");
    const route = routes[key];
    if (route === undefined) {
      const body = encodeGetResponse(new TextEncoder().encode(`ok:${key}`));
      res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": body.length });
      res.end(body);
    } else route(req, res);
  });
  server.on("connection", (socket) => {
    connections++;
    open++;
    socket.on("close", () => open--);
  });
  return {
    start: () => new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`))),
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
    connections: () => connections,
    open: () => open,
  };
}

describe("client: a misbehaving peer gives a clear PeerError and nothing else breaks", () => {
  const peer = badPeer({
    garbage: (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    },
    truncated: (_req, res) => res.end(Buffer.from([0x0a, 0x05, 0x01])),
    wiretype: (_req, res) => res.end(Buffer.from([0x3f, 0x01, 0x02])),
    huge: (_req, res) => {
      res.writeHead(200, { "content-length": 10_000 });
      res.end(Buffer.alloc(10_000));
    },
    "huge-chunked": (_req, res) => {
      res.writeHead(200, { "transfer-encoding": "chunked" });
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
      res.end();
    },
    hang: () => {},
    // Each byte well within undici's body timeout, the whole answer far beyond the call's timeout.
    drip: (req, res) => {
      res.writeHead(200, { "content-length": 100 });
      const timer = setInterval(() => res.write(Buffer.alloc(1)), 40);
      req.socket.on("close", () => clearInterval(timer));
    },
    "cut-mid-body": (req, res) => {
      res.writeHead(200, { "content-length": 1000 });
      res.write(Buffer.alloc(10));
      setTimeout(() => req.socket.destroy(), 20);
    },
    "error-500": (_req, res) => {
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${"loader exploded ".repeat(1000)}\n`);
    },
    "not-found": (_req, res) => {
      res.writeHead(404);
      res.end("no such group: g\n");
    },
  });
  let url = "";
  const transport = new HttpTransport({ timeout: 300, maxResponseBytes: 4096 });
  before(async () => {
    url = await peer.start();
  });
  after(async () => {
    await transport.stop();
    await peer.stop();
  });

  it("an undecodable body is CACHECLUSTER_PEER_RESPONSE_INVALID", async () => {
    for (const key of ["garbage", "truncated", "wiretype"]) {
      const error = await rejection(transport.client.fetch(url, "g", key));
      assert.equal(error.code, "CACHECLUSTER_PEER_RESPONSE_INVALID", key);
      assert.match(error.message, /GetResponse/);
    }
  });

  it("a body over maxResponseBytes is CACHECLUSTER_PEER_RESPONSE_INVALID, declared or chunked", async () => {
    for (const key of ["huge", "huge-chunked"]) {
      const error = await rejection(transport.client.fetch(url, "g", key));
      assert.equal(error.code, "CACHECLUSTER_PEER_RESPONSE_INVALID", key);
      assert.match(error.message, /maxResponseBytes/);
    }
  });

  it("a peer that never answers fails after the timeout", async () => {
    const t0 = Date.now();
    const error = await rejection(transport.client.fetch(url, "g", "hang"));
    assert.equal(error.code, "CACHECLUSTER_PEER_FETCH_FAILED");
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    // undici's headers timeout and the call's own deadline are both 300 ms: either may fire first.
    assert.match(error.message, /UND_ERR_HEADERS_TIMEOUT|no complete answer within 300 ms/);
  });

  it("a peer that drips its answer fails when the whole call's timeout has passed, not byte by byte", async () => {
    const t0 = Date.now();
    const error = await rejection(transport.client.fetch(url, "g", "drip"));
    const took = Date.now() - t0;
    assert.equal(error.code, "CACHECLUSTER_PEER_FETCH_FAILED");
    assert.match(error.message, /no complete answer within 300 ms/);
    assert.ok(took >= 290 && took < 1500, `took ${took} ms (the drip lasts 4 s)`);
  });

  it("aborting the signal fails the fetch at once (before or during it), and no abort listener is left behind", async () => {
    const before = new AbortController();
    before.abort(new Error("gone"));
    assert.match((await rejection(transport.client.fetch(url, "g", "good-1", { signal: before.signal }))).message, /aborted/);
    const during = new AbortController();
    const t0 = Date.now();
    const pending = rejection(transport.client.fetch(url, "g", "hang", { signal: during.signal }));
    setTimeout(() => during.abort(new Error("gone")), 20);
    const error = await pending;
    assert.equal(error.code, "CACHECLUSTER_PEER_FETCH_FAILED");
    assert.match(error.message, /aborted/);
    assert.ok(Date.now() - t0 < 250, `took ${Date.now() - t0} ms, the timeout is 300`);
    const done = new AbortController();
    const got = await transport.client.fetch(url, "g", "good-2", { signal: done.signal });
    assert.equal(new TextDecoder().decode(got.value), "ok:good-2");
    assert.equal(getEventListeners(done.signal, "abort").length, 0);
    assert.equal(getEventListeners(during.signal, "abort").length, 0);
  });

  it("a connection cut mid-body fails", async () => {
    const error = await rejection(transport.client.fetch(url, "g", "cut-mid-body"));
    assert.equal(error.code, "CACHECLUSTER_PEER_FETCH_FAILED");
  });

  it("a non-200 answer names the status and (at most 1 KiB of) the peer's text", async () => {
    const e500 = await rejection(transport.client.fetch(url, "g", "error-500"));
    assert.equal(e500.status, 500);
    assert.match(e500.message, /server returned 500 Internal Server Error: loader exploded/);
    assert.ok(e500.message.length < 1300);
    const e404 = await rejection(transport.client.fetch(url, "g", "not-found"));
    assert.equal(e404.status, 404);
    assert.match(e404.message, /no such group: g/);
  });

  it("good requests interleaved with bad ones all succeed", async () => {
    const bad = ["garbage", "huge", "hang", "cut-mid-body", "error-500"];
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => transport.client.fetch(url, "g", i % 5 === 0 ? (bad[(i / 5) % bad.length] as string) : `good-${i}`)),
    );
    results.forEach((r, i) => {
      if (i % 5 === 0) assert.equal(r.status, "rejected");
      else {
        assert.equal(r.status, "fulfilled", r.status === "rejected" ? String((r.reason as Error).message) : "");
        if (r.status === "fulfilled") assert.equal(new TextDecoder().decode(r.value.value), `ok:good-${i}`);
      }
    });
  });

  it("a malformed peer URL is a PeerError, not a throw", async () => {
    await rejection(transport.client.fetch("not a url", "g", "k"));
    await rejection(transport.client.fetch("ftp://127.0.0.1:1", "g", "k"));
  });
});

describe("client: keep-alive", () => {
  it("sequential fetches to one peer reuse a kept-alive connection", async () => {
    const peer = badPeer({});
    const url = await peer.start();
    // The HTTP path's connections: no peer stream.
    const transport = new HttpTransport({ stream: false });
    try {
      for (let i = 0; i < 50; i++) await transport.client.fetch(url, "g", `k${i}`);
      // undici may open a second socket while the first is being released; never one per request.
      assert.ok(peer.connections() <= 2, `${peer.connections()} connections for 50 requests`);
    } finally {
      await transport.stop();
      await peer.stop();
    }
  });

  it("closes and forgets the pool of a peer unused for idlePoolTimeout, and opens a new one when it is called again", async () => {
    const peers = [badPeer({}), badPeer({})];
    const [a, b] = await Promise.all(peers.map((p) => p.start()));
    // Pools idle for max(idlePoolTimeout, 2 x timeout) close: 300 ms here, with room for a slow fetch on a loaded machine.
    const transport = new HttpTransport({ timeout: 150, idlePoolTimeout: 300, stream: false });
    try {
      await transport.client.fetch(a!, "g", "k");
      await transport.client.fetch(b!, "g", "k");
      assert.deepEqual(transport.client.poolStats, { pools: 2, closedIdle: 0, streams: 0, streamsOpened: 0, streamsRefused: 0 });
      // b stays in use, a does not.
      for (let i = 0; i < 300 && transport.client.poolStats.closedIdle === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
        await transport.client.fetch(b!, "g", `k${i}`);
      }
      assert.deepEqual(transport.client.poolStats, { pools: 1, closedIdle: 1, streams: 0, streamsOpened: 0, streamsRefused: 0 });
      for (let i = 0; i < 100 && peers[0]!.open() > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(peers[0]!.open(), 0, "a's sockets are closed with its pool");
      assert.ok(peers[1]!.open() > 0, "b keeps its connection");
      assert.equal(new TextDecoder().decode((await transport.client.fetch(a!, "g", "again")).value), "ok:again");
      assert.deepEqual(transport.client.poolStats, { pools: 2, closedIdle: 1, streams: 0, streamsOpened: 0, streamsRefused: 0 });
      const stats = transport.stats();
      assert.equal(stats.clientPeerPools, 2);
      assert.equal(stats.clientPoolsClosedIdleTotal, 1);
    } finally {
      await transport.stop();
      await Promise.all(peers.map((p) => p.stop()));
    }
  });

  it("after stop(), calls reject with a PeerError", async () => {
    const transport = new HttpTransport();
    await transport.stop();
    await rejection(transport.client.fetch("http://127.0.0.1:1", "g", "k"));
  });
});
