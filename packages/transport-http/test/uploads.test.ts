import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import { type Socket, connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { RecordingPeerHandler } from "@cachecluster/testing/compliance/transport";
import type { PeerValue } from "@cachecluster/core";
import { createPeerHandler } from "../src/index.js";
import { encodeSetRequest } from "../src/wire/messages.js";

const LIMIT = 64 * 1024;

/** A PUT of a SetRequest for `key` with a value of `size` bytes; resolves with the status. */
function put(port: number, key: string, size: number): Promise<number> {
  const body = Buffer.from(encodeSetRequest("g", key, new Uint8Array(size)));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: `/_groupcache/g/${key}`, method: "PUT", agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Holds every set until `release()`: the upload's slot stays taken meanwhile. */
class GatedHandler extends RecordingPeerHandler {
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => {};
  entered = 0;
  close(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }
  release(): void {
    this.#open();
  }
  override async set(group: string, key: string, value: PeerValue): Promise<void> {
    this.entered++;
    await this.#gate;
    return super.set(group, key, value);
  }
}

describe("uploads: set bodies are small, bounded and few at a time", () => {
  const handler = new GatedHandler();
  const peer = createPeerHandler(handler, { maxSetBytes: LIMIT, maxConcurrentSets: 2, requestTimeout: 5000 });
  const server = createServer(peer);
  const bytesRead: number[] = [];
  let port = 0;
  before(async () => {
    server.on("connection", (socket: Socket) => socket.on("close", () => bytesRead.push(socket.bytesRead)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("a body declared over maxSetBytes is refused with 413 before any of it is sent", async () => {
    const socket = connect(port, "127.0.0.1");
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("close", () => resolve(text));
      socket.on("error", () => undefined);
      socket.write(`PUT /_groupcache/g/huge HTTP/1.1\r\nHost: x\r\nContent-Length: ${60 * 1024 * 1024}\r\n\r\n`);
    });
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    assert.match(answer, /request body too large: 62914560 bytes, at most 65536/);
    assert.equal(handler.sets.filter((s) => s.key === "huge").length, 0);
  });

  it("a streamed body is cut off at maxSetBytes: 413, the connection closed, the rest never read", async () => {
    bytesRead.length = 0;
    const socket = connect(port, "127.0.0.1");
    const chunk = Buffer.alloc(16 * 1024, 0x41);
    let written = 0;
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      let open = true;
      socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
      socket.on("close", () => {
        open = false;
        resolve(text);
      });
      socket.on("error", () => undefined);
      socket.write("PUT /_groupcache/g/stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      // Up to 64 MiB, as fast as the server takes it; the server must stop it long before.
      const pump = (): void => {
        while (open && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString("latin1")}\r\n`)) {
            socket.once("drain", pump);
            return;
          }
        }
      };
      pump();
    });
    assert.match(answer, /^HTTP\/1\.1 413 /);
    await new Promise((r) => setTimeout(r, 50));
    const read = Math.max(...bytesRead);
    assert.ok(read < LIMIT + 256 * 1024, `the server read ${read} bytes of a body cut off at ${LIMIT}`);
    assert.ok(written < 64 * 1024 * 1024, "the client could not push the whole body");
    assert.equal(handler.sets.filter((s) => s.key === "stream").length, 0);
  });

  it("at most maxConcurrentSets bodies are read at once, 8 times as many wait, and the rest get 503", async () => {
    handler.close();
    const entered = handler.entered;
    const inflight = [put(port, "slot-0", 100), put(port, "slot-1", 100)];
    for (const deadline = Date.now() + 3000; handler.entered < entered + 2 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
    assert.equal(handler.entered, entered + 2, "two sets hold the two slots");
    const waiting = Array.from({ length: 16 }, (_, i) => put(port, `wait-${i}`, 100));
    await new Promise((r) => setTimeout(r, 200));
    const refused = await put(port, "one-too-many", 100);
    assert.equal(refused, 503);
    assert.equal(peer.stats.busy, 1);
    assert.equal(handler.entered, entered + 2, "no waiting set was read while the slots were taken");
    handler.release();
    assert.deepEqual(await Promise.all([...inflight, ...waiting]), Array<number>(18).fill(200));
    assert.equal(handler.sets.filter((s) => s.key.startsWith("wait-")).length, 16);
  });

  it("a waiting upload whose client goes away gives its place up", async () => {
    handler.close();
    const entered = handler.entered;
    const holders = [put(port, "hold-0", 10), put(port, "hold-1", 10)];
    for (const deadline = Date.now() + 3000; handler.entered < entered + 2 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
    const quitters = Array.from({ length: 16 }, () => connect(port, "127.0.0.1"));
    const body = Buffer.from(encodeSetRequest("g", "quit", new Uint8Array(10)));
    for (const s of quitters) {
      s.on("error", () => undefined);
      s.write(`PUT /_groupcache/g/quit HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
    }
    await new Promise((r) => setTimeout(r, 200));
    for (const s of quitters) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const later = put(port, "after-quitters", 10);
    await new Promise((r) => setTimeout(r, 100));
    handler.release();
    assert.deepEqual(await Promise.all([...holders, later]), [200, 200, 200]);
    assert.equal(handler.sets.filter((s) => s.key === "quit").length, 0);
  });
});
