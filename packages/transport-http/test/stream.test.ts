import assert from "node:assert/strict";
import { type Server, Socket, connect, createServer } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { after, before, describe, it, mock } from "node:test";
import type { PeerRequestHandler, PeerValue } from "@cachecluster/core";
import { RecordingPeerHandler } from "@cachecluster/testing/compliance/transport";
import { HttpTransport } from "../src/index.js";
import { encodeGetResponse } from "../src/wire/messages.js";
import {
  FrameReader,
  KIND_CANCEL,
  KIND_GET,
  REPLY_BAD_REQUEST,
  REPLY_FORBIDDEN,
  REPLY_OK,
  decodeReply,
  decodeRequest,
  encodeCancel,
  encodeErrorReply,
  encodeGetRequest,
  encodeOkReply,
} from "../src/wire/stream-frames.js";
import { rejection } from "./helpers/rejection.js";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Fetches until the client's stream to `url` is open (the first gets go over HTTP while it opens). */
async function openStream(transport: HttpTransport, url: string): Promise<void> {
  await transport.client.fetch(url, "g", "opening");
  await until(() => transport.stats().clientStreams === 1, "the peer stream to open");
}

/** A raw client of the stream: sends the upgrade from `from`, then frames; collects the replies. */
async function rawStream(port: number, from = "127.0.0.1"): Promise<{ status: number; socket: Socket; replies: ReturnType<typeof decodeReply>[] }> {
  const socket = connect({ host: "127.0.0.1", port, localAddress: from });
  socket.write("GET /_groupcache/_stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: cachecluster-peer/1\r\n\r\n");
  const replies: ReturnType<typeof decodeReply>[] = [];
  let head = "";
  const reader = new FrameReader(1 << 20, (frame) => replies.push(decodeReply(frame)));
  const status = await new Promise<number>((resolve, reject) => {
    socket.on("error", reject);
    socket.on("close", () => resolve(Number(head.slice(9, 12)) || 0));
    socket.on("data", (chunk: Buffer) => {
      if (head.includes("\r\n\r\n")) {
        if (head.startsWith("HTTP/1.1 101 ")) reader.push(chunk);
        return;
      }
      head += chunk.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const rest = Buffer.from(head.slice(end + 4), "latin1");
      head = head.slice(0, end + 4);
      resolve(Number(head.slice(9, 12)));
      if (rest.length > 0 && head.startsWith("HTTP/1.1 101 ")) reader.push(rest);
    });
  });
  return { status, socket, replies };
}

/** A server and a client transport, the client's stream to the server open during the suite (before/after hooks). */
function streamPair(handler: PeerRequestHandler): { server: HttpTransport; client: HttpTransport; peer: { url: string } } {
  const server = new HttpTransport({ closeTimeout: 500 });
  const client = new HttpTransport({ timeout: 1000 });
  const peer = { url: "" };
  before(async () => {
    peer.url = (await server.listen(handler, { host: "127.0.0.1", port: 0 })).url;
    await openStream(client, peer.url);
  });
  after(async () => {
    await client.stop();
    await server.stop();
  });
  return { server, client, peer };
}

describe("the peer stream between two cachecluster transports", () => {
  const handler = new RecordingPeerHandler();
  const { server, client, peer } = streamPair(handler);

  it("once open, gets go over it (one upgrade, one connection), and values, expiry and awkward keys round-trip", async () => {
    const gets = server.stats().serverGetsTotal ?? 0;
    const streamGets = server.stats().serverStreamGetsTotal ?? 0;
    const expire = Date.now() + 60_000;
    handler.values.get("g")?.set("with-expiry", { value: new Uint8Array([0, 1, 255]), expire });
    const got = await client.client.fetch(peer.url, "g", "with-expiry");
    assert.deepEqual([...got.value], [0, 1, 255]);
    assert.equal(got.expire, expire);
    assert.equal((await client.client.fetch(peer.url, "g", "no-expiry")).expire, undefined);
    for (const key of ["", "a b/c?d#e%", "日本語", "x".repeat(5000)])
      assert.equal(text((await client.client.fetch(peer.url, "g", key)).value), `value-of:${key}`);
    assert.equal(server.stats().serverGetsTotal, gets + 6);
    assert.equal(server.stats().serverStreamGetsTotal, streamGets + 6, "all 6 over the stream");
    assert.equal(server.stats().serverStreamsOpenedTotal, 1);
    assert.equal(client.stats().clientStreamsOpenedTotal, 1);
    assert.equal(server.stats().serverStreams, 1);
  });

  it("many gets in flight at once each get their own answer, in whatever order they come", async () => {
    handler.values.get("g")?.set("big", { value: new Uint8Array(3 << 20).fill(7) });
    const keys = Array.from({ length: 300 }, (_, i) => (i % 100 === 0 ? "big" : `k${i}`));
    const got = await Promise.all(keys.map((k) => client.client.fetch(peer.url, "g", k)));
    got.forEach((g, i) => {
      if (keys[i] === "big") assert.equal(g.value.length, 3 << 20);
      else assert.equal(text(g.value), `value-of:${keys[i]}`);
    });
    assert.equal(client.stats().clientStreamsOpenedTotal, 1);
  });

  it("fetchMany over an open stream sends the keys' gets on it (no batch request), each key settled on its own", async () => {
    const batches = server.stats().serverBatchesTotal ?? 0;
    const gets = server.stats().serverGetsTotal ?? 0;
    const results = await client.client.fetchMany(peer.url, "g", ["m1", "m2", "m3"]);
    assert.deepEqual(
      results.map((r) => (r.status === "fulfilled" ? text(r.value.value) : "rejected")),
      ["value-of:m1", "value-of:m2", "value-of:m3"],
    );
    const failing = await client.client.fetchMany(peer.url, "fail", ["x", "y"]);
    assert.deepEqual(
      failing.map((r) => r.status),
      ["rejected", "rejected"],
    );
    assert.equal(server.stats().serverBatchesTotal ?? 0, batches);
    assert.equal(server.stats().serverGetsTotal, gets + 5);
    assert.equal(client.stats().clientStreamsOpenedTotal, 1);
  });

  it("errors come back as the same PeerErrors as over HTTP, and the stream stays usable", async () => {
    const missing = await rejection(client.client.fetch(peer.url, "nope", "k"));
    assert.equal(missing.status, 404);
    assert.match(missing.message, /GET \/_groupcache\/nope\/k: server returned 404 Not Found: no such group: nope/);
    const failed = await rejection(client.client.fetch(peer.url, "fail", "k"));
    assert.equal(failed.status, 500);
    assert.match(failed.message, /boom: k/);
    assert.equal(text((await client.client.fetch(peer.url, "g", "after")).value), "value-of:after");
    assert.equal(client.stats().clientStreamsOpenedTotal, 1);
  });

  it("an abort sends a cancel: the get's signal is aborted at the server, the stream stays open", async () => {
    const controller = new AbortController();
    const entered = handler.slowEntered;
    const pending = rejection(client.client.fetch(peer.url, "slow", "k", { signal: controller.signal }));
    await until(() => handler.slowEntered > entered, "the slow get to reach the server");
    controller.abort(new Error("caller gave up"));
    assert.match((await pending).message, /aborted/);
    await until(() => handler.slowAborted.length > 0, "the server's signal to be aborted");
    assert.equal(text((await client.client.fetch(peer.url, "g", "still-open")).value), "value-of:still-open");
    assert.equal(client.stats().clientStreamsOpenedTotal, 1);
  });

  it("an abortWatch aborts a get like a signal, and over the stream the options' signal is never read", async () => {
    const listeners: (() => void)[] = [];
    const watch = {
      aborted: false,
      reason: undefined as unknown,
      watch: (l: () => void) => listeners.push(l),
      unwatch: (l: () => void) => listeners.splice(listeners.indexOf(l), 1),
    };
    let signalReads = 0;
    const options = {
      get signal(): AbortSignal {
        signalReads++;
        return new AbortController().signal;
      },
      abortWatch: watch,
    };
    // Answered: the get's listener is given back.
    assert.equal(text((await client.client.fetch(peer.url, "g", "watched", options)).value), "value-of:watched");
    assert.equal(listeners.length, 0);
    // Aborted while the server works on it: rejected as aborted, and the server is told.
    const entered = handler.slowEntered;
    const cancelled = handler.slowAborted.length;
    const pending = rejection(client.client.fetch(peer.url, "slow", "k", options));
    await until(() => handler.slowEntered > entered, "the slow get to reach the server");
    assert.equal(listeners.length, 1);
    watch.aborted = true;
    watch.reason = new Error("every waiter left");
    for (const l of listeners.splice(0)) l();
    const error = await pending;
    assert.match(error.message, /GET \/_groupcache\/slow\/k: aborted/);
    assert.match(String((error.cause as Error).message), /every waiter left/);
    await until(() => handler.slowAborted.length > cancelled, "the cancel to abort the server's get");
    // Already aborted: refused at once.
    assert.match((await rejection(client.client.fetch(peer.url, "g", "late", options))).message, /aborted/);
    assert.equal(signalReads, 0);
  });

  it("a get past the client's timeout fails with the deadline's PeerError and is cancelled at the server", async () => {
    const quick = new HttpTransport({ timeout: 100 });
    try {
      await openStream(quick, peer.url);
      const aborted = handler.slowAborted.length;
      const error = await rejection(quick.client.fetch(peer.url, "slow", "k"));
      assert.match(error.message, /no complete answer within 100 ms/);
      await until(() => handler.slowAborted.length > aborted, "the cancel to abort the server's get");
    } finally {
      await quick.stop();
    }
  });
});

describe("a handler that has hits at hand (getCached)", () => {
  /** Answers keys starting with "hit-" from its cache, synchronously; the rest through get. */
  class CachingHandler extends RecordingPeerHandler {
    readonly cachedAsked: string[] = [];
    getCached(group: string, key: string): PeerValue | undefined {
      this.cachedAsked.push(key);
      return group === "g" && key.startsWith("hit-") ? { value: new TextEncoder().encode(`cached:${key}`), expire: 4_102_444_800_000 } : undefined;
    }
  }
  const handler = new CachingHandler();
  const { server, client, peer } = streamPair(handler);

  it("answers a hit over the stream from getCached, without get; a miss goes to get", async () => {
    // openStream's gets came over HTTP (the stream opens beside them): the handler's get served those.
    const gets = handler.gets.length;
    const hit = await client.client.fetch(peer.url, "g", "hit-1");
    assert.equal(text(hit.value), "cached:hit-1");
    assert.equal(hit.expire, 4_102_444_800_000);
    assert.equal(handler.gets.length, gets);
    assert.equal(text((await client.client.fetch(peer.url, "g", "miss-1")).value), "value-of:miss-1");
    assert.deepEqual(
      handler.gets.slice(gets).map((g) => g.key),
      ["miss-1"],
    );
    assert.deepEqual(handler.cachedAsked.slice(-2), ["hit-1", "miss-1"]);
    assert.equal(server.stats().serverStreamsOpenedTotal, 1);
  });
});

describe("peers that do not take the stream", () => {
  it("a Go-like HTTP server (400 to the upgrade) is fetched over HTTP, asked once, and counted as refused", async () => {
    let upgrades = 0;
    let gets = 0;
    const go = createHttpServer((req, res) => {
      if (req.url === "/_groupcache/_stream") {
        upgrades++;
        res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
        res.end("bad request\n");
        return;
      }
      gets++;
      const body = encodeGetResponse(new TextEncoder().encode(`go:${req.url}`));
      res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": body.length });
      res.end(body);
    });
    await new Promise<void>((r) => go.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(go.address() as { port: number }).port}`;
    const client = new HttpTransport();
    try {
      for (let i = 0; i < 20; i++) assert.equal(text((await client.client.fetch(url, "g", `k${i}`)).value), `go:/_groupcache/g/k${i}`);
      await until(() => client.stats().clientStreamsRefusedTotal === 1, "the refusal");
      for (let i = 0; i < 20; i++) await client.client.fetch(url, "g", `again${i}`);
      assert.equal(upgrades, 1);
      assert.equal(gets, 40);
      assert.equal(client.stats().clientStreams, 0);
    } finally {
      await client.stop();
      go.closeAllConnections();
      await new Promise((r) => go.close(r));
    }
  });

  it("a cachecluster node with stream: false refuses the upgrade with 400, and serves the client over HTTP", async () => {
    const handler = new RecordingPeerHandler();
    const server = new HttpTransport({ stream: false });
    const client = new HttpTransport();
    try {
      const { url, port } = await server.listen(handler, { host: "127.0.0.1", port: 0 });
      assert.equal((await rawStream(port)).status, 400);
      for (let i = 0; i < 5; i++) await client.client.fetch(url, "g", `k${i}`);
      await until(() => client.stats().clientStreamsRefusedTotal === 1, "the refusal");
      assert.equal(text((await client.client.fetch(url, "g", "http")).value), "value-of:http");
      assert.equal(server.stats().serverStreamsOpenedTotal, 0);
    } finally {
      await client.stop();
      await server.stop();
    }
  });
});

describe("the stream server facing bad or foreign clients", () => {
  const handler = new RecordingPeerHandler();
  const server = new HttpTransport({ maxHeaderSize: 4096 });
  let port = 0;
  before(async () => {
    handler.memberAddresses = new Set(["127.0.0.1"]);
    ({ port } = await server.listen(handler, { host: "127.0.0.1", port: 0 }));
  });
  after(() => server.stop());

  it("with reads: members, an address that is no member's is refused the upgrade with 403, and no loader runs", async () => {
    const gets = handler.gets.length;
    const { status } = await rawStream(port, "127.0.0.9");
    assert.equal(status, 403);
    assert.equal(handler.gets.length, gets);
  });

  it("a member's gets are checked again on an open stream: once it is no member, it gets forbidden replies", async () => {
    const { status, socket, replies } = await rawStream(port);
    assert.equal(status, 101);
    socket.write(encodeGetRequest(1, "g", "a", undefined));
    await until(() => replies.length === 1, "the first reply");
    handler.memberAddresses = new Set(["127.0.0.2"]);
    try {
      socket.write(encodeGetRequest(2, "g", "b", undefined));
      await until(() => replies.length === 2, "the second reply");
      assert.deepEqual(
        replies.map((r) => [r.id, r.status]),
        [
          [1, REPLY_OK],
          [2, REPLY_FORBIDDEN],
        ],
      );
    } finally {
      handler.memberAddresses = new Set(["127.0.0.1"]);
      socket.destroy();
    }
  });

  it("undecodable frames get bad-request replies and the stream goes on; an oversized length closes it; the server serves on", async () => {
    const { status, socket, replies } = await rawStream(port);
    assert.equal(status, 101);
    const garbage = [
      Buffer.from([0, 0, 0, 5, 9, 0, 0, 0, 7]), // unknown kind
      Buffer.from([0, 0, 0, 3, 1, 0, 0]), // a get shorter than its header
      (() => {
        const f = encodeGetRequest(8, "g", "k", undefined);
        f.writeUInt32BE(1000, 11); // a key length beyond the frame
        return f;
      })(),
      (() => {
        const f = encodeGetRequest(9, "g", "k", undefined);
        f[f.length - 1] = 0xff; // not UTF-8
        return f;
      })(),
      encodeCancel(12345), // a cancel for nothing in flight: ignored
    ];
    for (const frame of garbage) socket.write(frame);
    socket.write(encodeGetRequest(10, "g", "good", undefined));
    await until(() => replies.some((r) => r.id === 10), "the good get's reply");
    assert.deepEqual(
      replies.map((r) => r.status),
      [REPLY_BAD_REQUEST, REPLY_BAD_REQUEST, REPLY_BAD_REQUEST, REPLY_BAD_REQUEST, REPLY_OK],
    );
    const errors = server.stats().serverStreamProtocolErrorsTotal ?? 0;
    const closed = new Promise((r) => socket.once("close", r));
    socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff])); // a 4 GiB frame
    await closed;
    assert.equal(server.stats().serverStreamProtocolErrorsTotal, errors + 1);
    const again = await rawStream(port);
    again.socket.write(encodeGetRequest(1, "g", "after", undefined));
    await until(() => again.replies.length === 1, "a reply on a new stream");
    again.socket.destroy();
  });

  it("an upgrade to another protocol or path is answered 400, as Go's server answers that path", async () => {
    for (const request of [
      "GET /_groupcache/_stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      "GET /_groupcache/other HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: cachecluster-peer/1\r\n\r\n",
    ]) {
      const socket = connect({ host: "127.0.0.1", port });
      socket.write(request);
      const answer = await new Promise<string>((resolve) => {
        let out = "";
        socket.on("data", (c: Buffer) => (out += c.toString("latin1")));
        socket.on("close", () => resolve(out));
      });
      assert.match(answer, /^HTTP\/1\.1 400 /);
    }
  });
});

describe("the stream client facing a misbehaving server", () => {
  /** A server that accepts the upgrade, then answers each get frame as `reply` says. */
  function streamPeer(reply: (socket: Socket, frame: Buffer) => void): Server {
    return createServer((socket) => {
      let upgraded = false;
      let head = "";
      const reader = new FrameReader(1 << 20, (frame) => reply(socket, frame));
      socket.on("error", () => socket.destroy());
      socket.on("data", (chunk: Buffer) => {
        if (upgraded) return reader.push(chunk);
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        if (!head.startsWith("GET /_groupcache/_stream ")) {
          // The HTTP gets while the stream opens.
          const body = encodeGetResponse(new TextEncoder().encode("http"));
          socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${body.length}\r\n\r\n`);
          socket.write(body);
          head = "";
          return;
        }
        upgraded = true;
        socket.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: cachecluster-peer/1\r\n\r\n");
      });
    });
  }

  async function withPeer(reply: (socket: Socket, frame: Buffer) => void, run: (client: HttpTransport, url: string) => Promise<void>): Promise<void> {
    const server = streamPeer(reply);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const client = new HttpTransport({ timeout: 300, maxResponseBytes: 1024 });
    try {
      await openStream(client, url);
      await run(client, url);
    } finally {
      await client.stop();
      await new Promise((r) => server.close(r));
    }
  }

  const idOf = (frame: Buffer): number => frame.readUInt32BE(1);

  it("an undecodable reply fails the gets in flight with CACHECLUSTER_PEER_RESPONSE_INVALID, and a new stream opens later", async () => {
    await withPeer(
      (socket) => socket.write(Buffer.from([0, 0, 0, 5, 77, 0, 0, 0, 1])),
      async (client, url) => {
        const error = await rejection(client.client.fetch(url, "g", "k"));
        assert.equal(error.code, "CACHECLUSTER_PEER_RESPONSE_INVALID");
        assert.match(error.message, /unknown reply status 77/);
        assert.equal(client.stats().clientStreams, 0);
      },
    );
  });

  it("a reply over maxResponseBytes closes the stream: CACHECLUSTER_PEER_RESPONSE_INVALID", async () => {
    await withPeer(
      (socket, frame) => socket.write(encodeOkReply(idOf(frame), new Uint8Array(5000), undefined)),
      async (client, url) => {
        const error = await rejection(client.client.fetch(url, "g", "k"));
        assert.equal(error.code, "CACHECLUSTER_PEER_RESPONSE_INVALID");
        assert.match(error.message, /exceeds the limit/);
      },
    );
  });

  it("a server that never replies fails the get at the timeout; replies for unknown ids are ignored", async () => {
    await withPeer(
      (socket, frame) => {
        if (frame[0] === 1) socket.write(encodeErrorReply(idOf(frame) + 1000, 2, "not yours"));
      },
      async (client, url) => {
        const t0 = Date.now();
        const error = await rejection(client.client.fetch(url, "g", "k"));
        assert.match(error.message, /no complete answer within 300 ms/);
        assert.ok(Date.now() - t0 < 1500);
      },
    );
  });

  /** The get frames of a batch as the peer got them: [id, key]. */
  const getsOf = (frames: Buffer[]): [number, string][] =>
    frames.map((f) => decodeRequest(f)).flatMap((r) => (r.kind === KIND_GET && r.group === "g" ? [[r.id, r.key] as [number, string]] : []));
  const settled = (results: PromiseSettledResult<PeerValue>[]): string[] =>
    results.map((r) => (r.status === "fulfilled" ? text(r.value.value) : `${(r.reason as { code?: string }).code}: ${(r.reason as Error).message}`));

  it("fetchMany over the stream: the gets leave in one write with consecutive ids, are answered in any order, settle each key", async () => {
    const frames: Buffer[] = [];
    let writes = 0;
    await withPeer(
      (socket, frame) => {
        frames.push(Buffer.from(frame));
        const gets = getsOf(frames);
        if (gets.length < 3) return;
        // All three in: answered last first, the middle one with an error.
        const [[id1], [id2], [id3]] = gets as [[number, string], [number, string], [number, string]];
        socket.write(encodeOkReply(id3, new TextEncoder().encode("three"), undefined));
        socket.write(encodeErrorReply(id2, 2, "loader broke"));
        socket.write(encodeOkReply(id1, new TextEncoder().encode("one"), 4_102_444_800_000));
      },
      async (client, url) => {
        // The socket writes fetchMany makes (all of them happen before it returns).
        const write = mock.method(Socket.prototype, "write");
        let pending: Promise<PromiseSettledResult<PeerValue>[]>;
        try {
          pending = client.client.fetchMany(url, "g", ["k1", "k2", "k3"]);
        } finally {
          writes = write.mock.callCount();
          write.mock.restore();
        }
        const results = await pending;
        const [one, two, three] = settled(results);
        assert.deepEqual([one, three], ["one", "three"]);
        assert.match(two ?? "", /^CACHECLUSTER_PEER_FETCH_FAILED: .*GET \/_groupcache\/g\/k2: server returned 500 Internal Server Error: loader broke$/);
        assert.equal((results[0] as PromiseFulfilledResult<PeerValue>).value.expire, 4_102_444_800_000);
      },
    );
    const gets = getsOf(frames);
    assert.deepEqual(
      gets.map(([, key]) => key),
      ["k1", "k2", "k3"],
    );
    const first = gets[0]?.[0] ?? 0;
    assert.deepEqual(
      gets.map(([id]) => id),
      [first, first + 1, first + 2],
    );
    assert.equal(writes, 1, "one write for the batch's frames");
  });

  it("a batch past the timeout, or aborted, or cut off: answered keys keep their values, the others fail and are cancelled", async () => {
    /** Answers only k1 of each batch; records the cancels. */
    const cancels: number[] = [];
    let cut = false;
    const answerFirst = (socket: Socket, frame: Buffer): void => {
      const request = decodeRequest(frame);
      if (request.kind === KIND_CANCEL) cancels.push(request.id);
      else if (request.key === "k1") {
        socket.write(encodeOkReply(request.id, new TextEncoder().encode("one"), undefined));
        if (cut) setTimeout(() => socket.destroy(), 20);
      }
    };
    await withPeer(answerFirst, async (client, url) => {
      // The timeout (300 ms): k2 and k3 fail with the deadline's error and are cancelled.
      const t0 = Date.now();
      const late = await client.client.fetchMany(url, "g", ["k1", "k2", "k3"]);
      assert.ok(Date.now() - t0 < 1500);
      const [one, ...rest] = settled(late);
      assert.equal(one, "one");
      for (const [i, error] of rest.entries()) assert.match(error, new RegExp(`GET /_groupcache/g/k${i + 2}: timed out: no complete answer within 300 ms`));
      await until(() => cancels.length === 2, "the cancels of k2 and k3");

      // Aborted by the caller once k1 is in: the rest fail as aborted and are cancelled too.
      const controller = new AbortController();
      const pending = client.client.fetchMany(url, "g", ["k1", "k2"], { signal: controller.signal });
      await sleep(50);
      controller.abort(new Error("the page was closed"));
      const aborted = settled(await pending);
      assert.equal(aborted[0], "one");
      assert.match(aborted[1] ?? "", /GET \/_groupcache\/g\/k2: aborted/);
      await until(() => cancels.length === 3, "the cancel of k2");
      // Already aborted: every key fails at once, nothing is sent.
      const before = cancels.length;
      assert.match(settled(await client.client.fetchMany(url, "g", ["k1"], { signal: controller.signal }))[0] ?? "", /aborted/);
      assert.equal(cancels.length, before);

      // The connection cut after k1's answer: k2 fails with a PeerError, k1 keeps its value.
      cut = true;
      const broken = settled(await client.client.fetchMany(url, "g", ["k1", "k2"]));
      assert.equal(broken[0], "one");
      assert.match(broken[1] ?? "", /CACHECLUSTER_PEER_FETCH_FAILED: .*closed the stream/);
    });
  });

  it("a connection cut mid-reply fails the gets in flight with a PeerError", async () => {
    await withPeer(
      (socket, frame) => {
        socket.write(encodeOkReply(idOf(frame), new Uint8Array(100), undefined).subarray(0, 50));
        setTimeout(() => socket.destroy(), 10);
      },
      async (client, url) => {
        const error = await rejection(client.client.fetch(url, "g", "k"));
        assert.equal(error.code, "CACHECLUSTER_PEER_FETCH_FAILED");
        assert.match(error.message, /closed the stream/);
      },
    );
  });
});
