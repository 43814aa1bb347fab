import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { RecordingPeerHandler } from "@cachecluster/testing/compliance/transport";
import { HttpTransport, createPeerHandler } from "../src/index.js";
import { decodeGetResponse } from "../src/wire/get-response.js";
import { encodeSetRequest } from "../src/wire/messages.js";
import { rawRequest, sendRequest as get } from "./helpers/raw-http.js";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("peer server: golang/groupcache's answers", () => {
  const handler = new RecordingPeerHandler();
  const transport = new HttpTransport({ maxSetBytes: 4096, maxHeaderSize: 8192, headersTimeout: 300, requestTimeout: 1000, closeTimeout: 500 });
  let port = 0;
  before(async () => {
    port = (await transport.listen(handler, { host: "127.0.0.1", port: 0 })).port;
  });
  after(() => transport.stop());

  it("a get answers 200 application/x-protobuf with a GetResponse", async () => {
    const res = await get(port, "/_groupcache/g/k");
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/x-protobuf");
    assert.equal(text(decodeGetResponse(res.body).value), "value-of:k");
  });

  it("errors carry Go's status and text: 400 bad request, 404 no such group, 500 the loader's message", async () => {
    const cases: [string, number, string][] = [
      ["/_groupcache/g", 400, "bad request\n"],
      ["/_groupcache/", 400, "bad request\n"],
      ["/_groupcache/nope/k", 404, "no such group: nope\n"],
      ["/_groupcache/no%20pe/k", 404, "no such group: no pe\n"],
      ["/_groupcache/fail/k7", 500, "boom: k7\n"],
      ["/_groupcache/g/%zz", 400, "bad request\n"],
      ["/_groupcache/g/%e2%82", 400, "bad request\n"],
      ["/_groupcache/g/%ff", 400, "bad request\n"],
      ["/elsewhere", 404, "404 page not found\n"],
    ];
    for (const [path, status, body] of cases) {
      const res = await get(port, path);
      assert.equal(res.status, status, path);
      assert.equal(res.body.toString("utf8"), body, path);
      assert.equal(res.headers["content-type"], "text/plain; charset=utf-8", path);
      assert.equal(res.headers["x-content-type-options"], "nosniff", path);
    }
  });

  it("a Go client's escapes decode as Go meant them: + is a space, %2B a plus, %2F a slash; the query is ignored", async () => {
    await get(port, "/_groupcache/g/a+b%2Bc%2Fd?ignored=1");
    assert.deepEqual(handler.gets.at(-1), { group: "g", key: "a b+c/d" });
    await get(port, "/_groupcache/g/x/y/z");
    assert.deepEqual(handler.gets.at(-1), { group: "g", key: "x/y/z" });
    await get(port, "/_groupcache/g/");
    assert.deepEqual(handler.gets.at(-1), { group: "g", key: "" });
  });

  it("only GET, PUT and DELETE are served: any other method is 405 with Allow, and runs no loader", async () => {
    const gets = handler.gets.length;
    const before = transport.serverStats.methodNotAllowed;
    const methods = ["HEAD", "POST", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "SEARCH"];
    for (const method of methods) {
      const res = await get(port, "/_groupcache/g/m", method);
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.allow, "GET, PUT, DELETE", method);
    }
    // CONNECT asks for a tunnel: node:http closes the connection unanswered (no tunnel is ever opened).
    const connectAnswer = await rawRequest(port, "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n").catch((e: Error) => e);
    assert.ok(connectAnswer instanceof Error, "CONNECT is not answered");
    assert.equal(handler.gets.length, gets, "no get reached the handler");
    assert.equal(transport.serverStats.methodNotAllowed, before + methods.length);
  });

  it("DELETE and PUT answer 200 with an empty body and no protobuf content type", async () => {
    const del = await get(port, "/_groupcache/g/d", "DELETE");
    assert.equal(del.status, 200);
    assert.equal(del.body.length, 0);
    assert.equal(del.headers["content-type"], undefined);
    const put = await get(port, "/_groupcache/g/p", "PUT", Buffer.from(encodeSetRequest("g", "p", new Uint8Array([1]))));
    assert.equal(put.status, 200);
    assert.equal(put.body.length, 0);
  });

  it("a PUT body that is not a SetRequest, or names another key, is 400 and changes nothing", async () => {
    const before = handler.sets.length;
    const garbage = await get(port, "/_groupcache/g/p", "PUT", Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    assert.equal(garbage.status, 400);
    assert.match(garbage.body.toString(), /^bad request: expected a protobuf SetRequest/);
    const missing = await get(port, "/_groupcache/g/p", "PUT", Buffer.from([0x1a, 0x01, 0x41])); // only value = "A"
    assert.equal(missing.status, 400);
    const other = await get(port, "/_groupcache/g/p", "PUT", Buffer.from(encodeSetRequest("g", "q", new Uint8Array([1]))));
    assert.equal(other.status, 400);
    assert.equal(handler.sets.length, before);
  });

  it("a PUT body over maxSetBytes is 413, declared or streamed", async () => {
    const big = Buffer.from(encodeSetRequest("g", "big", new Uint8Array(10_000)));
    const declared = await get(port, "/_groupcache/g/big", "PUT", big);
    assert.equal(declared.status, 413);
    const chunked = await rawRequest(
      port,
      `PUT /_groupcache/g/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${big.length.toString(16)}\r\n${big.toString("latin1")}\r\n0\r\n\r\n`,
    );
    assert.equal(chunked.status, 413);
    assert.ok(transport.serverStats.tooLarge >= 2);
  });

  it("an oversized key (request line over maxHeaderSize) is 431, and the server keeps serving", async () => {
    const res = await rawRequest(port, `GET /_groupcache/g/${"k".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(res.status, 431);
    assert.equal((await get(port, "/_groupcache/g/after")).status, 200);
  });

  it("malformed HTTP gets 400 and does not disturb other requests", async () => {
    const res = await rawRequest(port, "GARBAGE\r\n\r\n");
    assert.equal(res.status, 400);
    const res2 = await rawRequest(port, "GET /_groupcache/g/k HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
    assert.equal(res2.status, 400);
    assert.equal((await get(port, "/_groupcache/g/still")).status, 200);
  });

  it("a slowloris connection (headers never finished) is cut after headersTimeout while other requests are served", async () => {
    const socket = connect(port, "127.0.0.1");
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      socket.on("close", () => resolve(Date.now() - t0));
      socket.on("error", () => undefined);
    });
    socket.resume(); // read the server's 408 and FIN
    socket.write("GET /_groupcache/g/slow HTTP/1.1\r\nHost: x\r\nX-Slow: a");
    const drip = setInterval(() => socket.write("a"), 50);
    try {
      for (let i = 0; i < 5; i++) assert.equal((await get(port, `/_groupcache/g/other-${i}`)).status, 200);
      const elapsed = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
      assert.ok(elapsed > 0 && elapsed < 3000, `slow connection closed after ${elapsed} ms`);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  });

  it("a request whose body drips (slow PUT) is cut after requestTimeout, and sets nothing", async () => {
    const sets = handler.sets.length;
    const socket = connect(port, "127.0.0.1");
    socket.resume();
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      socket.on("close", () => resolve(Date.now() - t0));
      socket.on("error", () => undefined);
    });
    socket.write("PUT /_groupcache/g/drip HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"); // under maxSetBytes
    const drip = setInterval(() => socket.write("\u0000"), 50);
    try {
      const elapsed = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
      assert.ok(elapsed >= 800 && elapsed < 4000, `slow body closed after ${elapsed} ms (requestTimeout 1000)`);
      assert.equal(handler.sets.length, sets);
      assert.equal((await get(port, "/_groupcache/g/after-drip")).status, 200);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  });

  it("a client that disconnects mid-request aborts the handler's signal", async () => {
    const aborted = handler.slowAborted.length;
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    socket.write("GET /_groupcache/slow/k HTTP/1.1\r\nHost: x\r\n\r\n");
    const deadline = Date.now() + 3000;
    while (handler.slowEntered === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    socket.destroy();
    while (handler.slowAborted.length === aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(handler.slowAborted.length, aborted + 1);
    assert.ok(transport.serverStats.aborted >= 1);
  });
});

describe("peer server: routes, handler failures, graceful stop", () => {
  it("extra routes are served by prefix on the same server, and a failing route is a 500", async () => {
    const transport = new HttpTransport();
    const { port } = await transport.listen(new RecordingPeerHandler(), {
      host: "127.0.0.1",
      port: 0,
      routes: [
        { prefix: "/status", handle: (_req, res) => void res.end("ok") },
        {
          prefix: "/broken",
          handle: async () => {
            throw new Error("route failed");
          },
        },
      ],
    });
    try {
      assert.equal((await get(port, "/status")).body.toString(), "ok");
      const broken = await get(port, "/broken");
      assert.equal(broken.status, 500);
      assert.equal(broken.body.toString(), "route failed\n");
      assert.equal((await get(port, "/_groupcache/g/k")).status, 200);
    } finally {
      await transport.stop();
    }
  });

  it("a handler that throws synchronously or returns garbage is a 500, never a crash", async () => {
    const transport = new HttpTransport();
    const { port } = await transport.listen(
      {
        get: (group: string) => {
          if (group === "sync") throw new Error("thrown synchronously");
          return Promise.resolve({ value: "not bytes" as unknown as Uint8Array });
        },
        remove: async () => {},
        set: async () => {},
        isMemberAddress: () => true,
      },
      { host: "127.0.0.1", port: 0 },
    );
    try {
      const res = await get(port, "/_groupcache/sync/k");
      assert.equal(res.status, 500);
      assert.equal(res.body.toString(), "thrown synchronously\n");
      const res2 = await get(port, "/_groupcache/garbage/k");
      assert.ok(res2.status === 500 || res2.status === 200, `status ${res2.status}`);
      assert.equal((await get(port, "/_groupcache/sync/k")).status, 500);
    } finally {
      await transport.stop();
    }
  });

  it("stop() lets an in-flight request finish, then resolves", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const transport = new HttpTransport({ closeTimeout: 5000 });
    const { port } = await transport.listen(
      {
        get: async () => {
          await gate;
          return { value: new TextEncoder().encode("late") };
        },
        remove: async () => {},
        set: async () => {},
        isMemberAddress: () => true,
      },
      { host: "127.0.0.1", port: 0 },
    );
    const inflight = get(port, "/_groupcache/g/k");
    await new Promise((r) => setTimeout(r, 50));
    let stopped = false;
    const stopping = transport.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stopped, false, "stop waits for the in-flight request");
    release();
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(text(decodeGetResponse(res.body).value), "late");
    await stopping;
    await assert.rejects(get(port, "/_groupcache/g/k"));
  });

  it("an upload cut by requestTimeout while it waits unread for a slot: the 408 goes out and the server closes the connection", async () => {
    // The waiting upload's body is not read, so node:http stops reading its connection. Answered 408 and only
    // half-closed, that connection would never see the client's FIN: an open descriptor per such upload, kept
    // until the upload's turn came, and a stop() that waited for it until closeTimeout.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const transport = new HttpTransport({ maxConcurrentSets: 1, headersTimeout: 300, requestTimeout: 600, closeTimeout: 60_000 });
    const { port } = await transport.listen(
      {
        get: async () => ({ value: new Uint8Array(0) }),
        remove: async () => {},
        set: () => gate,
        isMemberAddress: () => true,
      },
      { host: "127.0.0.1", port: 0 },
    );
    try {
      const body = Buffer.from(encodeSetRequest("g", "held", new Uint8Array(10)));
      const holding = rawRequest(port, `PUT /_groupcache/g/held HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body.toString("latin1")}`);
      await new Promise((r) => setTimeout(r, 50));
      // allowHalfOpen: the client keeps its side open after the server's FIN, and keeps writing, so the
      // connection ends only when the server closes its socket (its kernel then resets the connection).
      const waiting = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
      let out = "";
      let poke: NodeJS.Timeout | undefined;
      waiting.on("data", (c: Buffer) => (out += c.toString("latin1")));
      waiting.on("end", () => (poke = setInterval(() => waiting.writable && waiting.write("x"), 50)));
      waiting.on("error", () => undefined);
      const closed = new Promise<boolean>((resolve) => waiting.on("close", () => resolve(true)));
      const size = 1024 * 1024; // more than the socket and the request stream buffer: node:http pauses the connection
      waiting.write(`PUT /_groupcache/g/waits HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
      waiting.write(Buffer.alloc(size));
      const ended = await Promise.race([closed, new Promise<false>((r) => setTimeout(() => r(false), 4000))]);
      clearInterval(poke);
      waiting.destroy();
      assert.match(out, /^HTTP\/1\.1 408 /);
      assert.equal(ended, true, "the server closed the connection within 4 s of the upload's start (requestTimeout 600 ms)");
      release();
      assert.equal((await holding).status, 200);
    } finally {
      release();
      await transport.stop();
    }
  });

  it("createPeerHandler serves the protocol on a user's own server", async () => {
    const handler = new RecordingPeerHandler();
    const peer = createPeerHandler(handler, { basePath: "/cache/" });
    const server = createHttpServer(peer);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const res = await get(port, "/cache/g/hello");
      assert.equal(text(decodeGetResponse(res.body).value), "value-of:hello");
      assert.equal((await get(port, "/_groupcache/g/hello")).status, 404);
      assert.equal(peer.stats.gets, 1);
      assert.equal(peer.stats.notFound, 1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
