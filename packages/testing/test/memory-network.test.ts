import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryNetwork, VirtualScheduler, seededRandom } from "../src/memory-network.js";
import type { StreamConnection } from "@cachecluster/core";

async function pair(net: MemoryNetwork) {
  const a = net.host();
  const b = net.host();
  const got: { at: number; from: string; data: number[] }[] = [];
  const streams: StreamConnection[] = [];
  const sa = await a.network.bind(a.ip, 7946, { packet() {}, stream() {} });
  const sb = await b.network.bind(b.ip, 7946, {
    packet: (data, from) => got.push({ at: net.scheduler.now(), from, data: [...data] }),
    stream: (conn) => streams.push(conn),
  });
  return { a, b, sa, sb, got, streams };
}

describe("VirtualScheduler", () => {
  it("runs tasks in time order, then insertion order, and only within the window", async () => {
    const s = new VirtualScheduler(0);
    const order: string[] = [];
    s.schedule(() => order.push("b"), 20);
    s.schedule(() => order.push("a"), 10);
    s.schedule(() => order.push("a2"), 10);
    const late = s.schedule(() => order.push("late"), 100);
    s.schedule(() => order.push("cancelled"), 5);
    s.cancel(s.schedule(() => order.push("x"), 1));
    await s.runFor(50);
    assert.deepEqual(order, ["cancelled", "a", "a2", "b"]);
    assert.equal(s.now(), 50);
    s.cancel(late);
    await s.runFor(100);
    assert.equal(order.length, 4);
  });

  it("holds a paused owner's tasks and runs them in order on resume", async () => {
    const s = new VirtualScheduler(0);
    const order: string[] = [];
    s.schedule(() => order.push("p1"), 10, "p");
    s.schedule(() => order.push("q"), 15, "q");
    s.schedule(() => order.push("p2"), 20, "p");
    s.pause("p");
    await s.runFor(100);
    assert.deepEqual(order, ["q"]);
    s.resume("p");
    await s.runFor(1);
    assert.deepEqual(order, ["q", "p1", "p2"]);
  });

  it("settle() advances virtual time until a promise settles", async () => {
    const s = new VirtualScheduler(0);
    const value = await s.settle(new Promise<string>((resolve) => s.schedule(() => resolve("done"), 5000)));
    assert.equal(value, "done");
    assert.equal(s.now(), 5000);
  });
});

describe("MemoryNetwork", () => {
  it("delivers datagrams after the configured delay, with the sender's address", async () => {
    const net = new MemoryNetwork({ seed: 1, delay: { min: 3, max: 3 } });
    const { a, sa, sb, got } = await pair(net);
    const start = net.scheduler.now();
    sa.sendPacket(`${sb.host}:${sb.port}`, Uint8Array.of(1, 2, 3));
    await net.scheduler.runFor(10);
    assert.deepEqual(got, [{ at: start + 3, from: `${a.ip}:7946`, data: [1, 2, 3] }]);
  });

  it("drops about the configured share of datagrams, and all of them across a partition", async () => {
    const net = new MemoryNetwork({ seed: 2, loss: 0.1 });
    const { a, b, sa, sb, got } = await pair(net);
    for (let i = 0; i < 5000; i++) sa.sendPacket(`${sb.host}:${sb.port}`, Uint8Array.of(i & 255));
    await net.scheduler.runFor(100);
    assert.ok(got.length > 4350 && got.length < 4650, `delivered ${got.length} of 5000`);
    net.setLoss(0);
    net.partition([a.ip], [b.ip]);
    got.length = 0;
    sa.sendPacket(`${sb.host}:${sb.port}`, Uint8Array.of(1));
    await net.scheduler.runFor(100);
    assert.equal(got.length, 0);
    net.heal();
    sa.sendPacket(`${sb.host}:${sb.port}`, Uint8Array.of(1));
    await net.scheduler.runFor(100);
    assert.equal(got.length, 1);
  });

  it("streams deliver bytes in order both ways; dialling a closed port is refused", async () => {
    const net = new MemoryNetwork({ seed: 3 });
    const { sa, sb, streams } = await pair(net);
    const client = await net.scheduler.settle(sa.dial(`${sb.host}:${sb.port}`, 1000));
    const received: number[] = [];
    const echoed: number[] = [];
    await net.scheduler.runFor(10);
    const server = streams[0]!;
    server.setHandlers({
      data: (c) => {
        received.push(...c);
        server.write(c);
      },
      end() {},
    });
    client.setHandlers({ data: (c) => echoed.push(...c), end() {} });
    for (let i = 0; i < 50; i++) client.write(Uint8Array.of(i));
    await net.scheduler.runFor(100);
    assert.deepEqual(
      received,
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(echoed, received);
    await assert.rejects(net.scheduler.settle(sa.dial(`${sb.host}:9999`, 1000)), /refused/);
  });

  it("a crashed host receives nothing and its timers never fire", async () => {
    const net = new MemoryNetwork({ seed: 4 });
    const { b, sa, sb, got } = await pair(net);
    let fired = false;
    b.clock.setTimeout(() => (fired = true), 10);
    net.crash(b.ip);
    sa.sendPacket(`${sb.host}:${sb.port}`, Uint8Array.of(1));
    await net.scheduler.runFor(100);
    assert.equal(got.length, 0);
    assert.equal(fired, false);
  });

  it("is deterministic: the same seed gives the same deliveries", async () => {
    const run = async (seed: number) => {
      const net = new MemoryNetwork({ seed, loss: 0.3 });
      const { sa, sb, got } = await pair(net);
      for (let i = 0; i < 200; i++) sa.sendPacket(`${sb.host}:${sb.port}`, Uint8Array.of(i));
      await net.scheduler.runFor(100);
      return got;
    };
    assert.deepEqual(await run(9), await run(9));
    assert.notDeepEqual(await run(9), await run(10));
    const r = seededRandom(5);
    const s = seededRandom(5);
    assert.deepEqual([r(), r(), r()], [s(), s(), s()]);
  });
});
