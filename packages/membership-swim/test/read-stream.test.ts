import type { StreamConnection, StreamHandlers } from "@cachecluster/core";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VirtualScheduler, seededRandom } from "@cachecluster/testing/memory-network";
import { readStream } from "../src/protocol/read-stream.js";
import { Timers } from "../src/protocol/timers.js";
import { MessageType, encodeMessage, encodePushPull, encodeStream, type PushNodeState } from "../src/wire/index.js";

/** A connection whose bytes the test delivers by hand. */
function connection(): StreamConnection & { handlers: StreamHandlers | undefined } {
  const conn = {
    remote: "10.0.0.9:7946",
    handlers: undefined as StreamHandlers | undefined,
    setHandlers(h: StreamHandlers) {
      conn.handlers = h;
    },
    write() {},
    close() {},
  };
  return conn;
}

function setup() {
  const scheduler = new VirtualScheduler(0);
  const timers = new Timers(scheduler.clock(), seededRandom(1));
  timers.start();
  return { scheduler, timers };
}

const states = (n: number): PushNodeState[] =>
  Array.from({ length: n }, (_, i) => ({
    Name: `member-${i}`,
    Addr: Uint8Array.of(10, 0, i >> 8, i & 255),
    Port: 7946,
    Meta: new Uint8Array(0),
    Incarnation: 1,
    State: 0,
    Vsn: Uint8Array.of(1, 5, 2, 0, 0, 0),
  }));

describe("readStream (one message off a stream connection)", () => {
  for (const compress of [false, true]) {
    it(`reads a push/pull that arrives in many small chunks${compress ? ", compressed" : ""}, and ignores bytes after it`, async () => {
      const { scheduler, timers } = setup();
      const conn = connection();
      const framed = encodeStream(encodePushPull({ join: true, states: states(2000), userState: new Uint8Array(0) }), { compress });
      const read = readStream(conn, 1000, {}, timers);
      for (let at = 0; at < framed.length; at += 1000) conn.handlers!.data(framed.subarray(at, at + 1000));
      conn.handlers!.data(Uint8Array.of(1, 2, 3));
      const msg = await scheduler.settle(read);
      assert.ok(msg.type === MessageType.PushPull);
      assert.equal(msg.body.states.length, 2000);
      assert.equal(msg.body.join, true);
      assert.equal(scheduler.pending, 0, "the read's timeout was cancelled");
    });
  }

  it("rejects when the stream ends before a whole message, naming the peer", async () => {
    const { scheduler, timers } = setup();
    const conn = connection();
    const read = readStream(conn, 1000, {}, timers);
    conn.handlers!.data(encodeMessage(MessageType.Ping, { SeqNo: 1, Node: "x" }).subarray(0, 4));
    conn.handlers!.end();
    await assert.rejects(scheduler.settle(read), { message: "stream from 10.0.0.9:7946 closed before a whole message" });
  });

  it("rejects bytes that can never be a message with a DecodeError, and a silent peer after the timeout", async () => {
    const { scheduler, timers } = setup();
    const bad = connection();
    const badRead = readStream(bad, 1000, {}, timers);
    bad.handlers!.data(Uint8Array.of(MessageType.Suspect, 0x80));
    await assert.rejects(scheduler.settle(badRead), { name: "DecodeError" });
    const silent = connection();
    const start = scheduler.now();
    await assert.rejects(scheduler.settle(readStream(silent, 1500, {}, timers)), { message: "stream read from 10.0.0.9:7946 timed out after 1500 ms" });
    assert.equal(scheduler.now() - start, 1500);
  });
});
