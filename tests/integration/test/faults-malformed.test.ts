// Fault: malformed HTTP requests at the peer port, and malformed UDP packets and TCP streams at the SWIM port,
// sent to running nodes. Every one is answered or dropped, counted, and no node crashes or loses its cluster.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { type FaultNode, converged, destroyAll, loopbackPrefix, startNodes, views, waitUntil } from "./faults/cluster-harness.js";
import { expectedValue, type NodeConfig } from "./faults/protocol.js";
import { seededRandom as prng } from "@cachecluster/testing/memory-network";

function randomBytes(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Writes `data` on a fresh TCP connection (from `from`, when given) and returns what came back (first line) before close or 3 s. */
function exchange(host: string, port: number, data: Buffer | string, endAfterWrite = true, from?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(from === undefined ? { host, port } : { host, port, localAddress: from });
    let answer = "";
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer.split("\r\n")[0] ?? "");
    };
    const timer = setTimeout(done, 3000);
    socket.on("connect", () => {
      socket.write(data);
      if (endAfterWrite) socket.end();
    });
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
    });
    socket.on("error", done);
    socket.on("close", done);
  });
}

const str = (s: string): Buffer => {
  const bytes = Buffer.from(s, "utf8");
  return Buffer.concat([Buffer.from([0xa0 | bytes.length]), bytes]);
};

describe("fault: malformed HTTP requests and UDP packets at running nodes", () => {
  let nodes: FaultNode[] = [];

  before(async () => {
    const prefix = loopbackPrefix(105);
    const seeds = Array.from({ length: 2 }, (_s, i) => `${prefix}${11 + i}:19951`);
    const configs: NodeConfig[] = ["a", "b"].map((n, i) => ({
      name: `bad-${n}`,
      ip: `${prefix}${11 + i}`,
      cachePort: 19185,
      clusterPort: 19951,
      heartbeatMs: 200,
      peerTimeoutMs: 1000,
      loadDelayMs: 0,
      discovery: { kind: "static", seeds },
      // Static seeds; re-dial them every second until everyone has joined (nodes start in any order).
      swim: { reconnectIntervalMs: 1000 },
    }));
    nodes = await startNodes(configs);
  });

  after(async () => {
    await destroyAll(nodes);
  });

  it("answers malformed peer HTTP requests with 4xx, counts them, and keeps serving", async (t) => {
    const [a, b] = nodes as [FaultNode, FaultNode];
    // From a member's address: an outsider's requests are refused (403) before they are parsed this far.
    const member = b.config.ip;
    assert.ok(
      await waitUntil(
        () =>
          converged(
            nodes,
            nodes.map((n) => n.name),
          ),
        40_000,
      ),
      `cluster did not form: ${JSON.stringify(await views(nodes))}`,
    );
    const host = a.config.ip;
    const port = a.config.cachePort;
    const before = await a.snapshot();

    const handCrafted: [string, Buffer | string, RegExp][] = [
      ["bad escape in the group", "GET /_groupcache/%zz/k HTTP/1.1\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 400/],
      ["no key", "GET /_groupcache/faults HTTP/1.1\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 (400|404)/],
      ["unknown group", "GET /_groupcache/no-such-group/k HTTP/1.1\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 404/],
      ["invalid UTF-8 in the key", "GET /_groupcache/faults/%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 400/],
      ["garbage set body", "PUT /_groupcache/faults/k HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n\xff\xff\xff\xff\xff\xff\xff", /^HTTP\/1\.1 400/],
      ["not HTTP at all", "GARBAGE\r\n\r\n", /^HTTP\/1\.1 400/],
      ["binary junk", Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]), /^HTTP\/1\.1 400/],
      ["unknown HTTP version", "GET /_groupcache/faults/k HTTP/9.9\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 (400|505)/],
      ["negative Content-Length", "PUT /_groupcache/faults/k HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", /^HTTP\/1\.1 400/],
      ["bad chunked body", "PUT /_groupcache/faults/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n", /^HTTP\/1\.1 400/],
      ["oversized headers", `GET /_groupcache/faults/k HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`, /^HTTP\/1\.1 431/],
      ["NUL in the path", "GET /_groupcache/faults/\0 HTTP/1.1\r\nHost: x\r\n\r\n", /^HTTP\/1\.1 (200|400)/],
    ];
    const answers: string[] = [];
    for (const [what, data, expected] of handCrafted) {
      const answer = await exchange(host, port, data, true, member);
      answers.push(`${what}: ${answer}`);
      assert.match(answer, expected, `${what}: unexpected answer ${JSON.stringify(answer)}`);
    }
    const random = prng(0xcace);
    let randomSent = 0;
    for (let i = 0; i < 150; i++) {
      const junk =
        random() < 0.5
          ? randomBytes(random, 1 + Math.floor(random() * 400))
          : Buffer.from(`GET /_groupcache/${randomBytes(random, 20).toString("latin1")} HTTP/1.1\r\n\r\n`, "latin1");
      await exchange(host, port, junk, true, member);
      randomSent++;
    }
    const afterSnap = await a.snapshot();
    t.diagnostic(answers.join(" | "));
    t.diagnostic(`peer server counters before ${JSON.stringify(before.transport)} after ${JSON.stringify(afterSnap.transport)}`);

    assert.ok(!a.exited, `the node exited: ${a.output}`);
    assert.ok((afterSnap.transport.badRequests ?? 0) > (before.transport.badRequests ?? 0), "bad requests were not counted");
    assert.ok((afterSnap.transport.notFound ?? 0) > (before.transport.notFound ?? 0), "unknown groups were not counted");
    // Requests the HTTP parser refuses (junk, bad version, bad lengths, oversized headers) are counted too.
    const refusedByParser = (afterSnap.transport.protocolErrors ?? 0) - (before.transport.protocolErrors ?? 0);
    assert.ok(refusedByParser >= 5, `only ${refusedByParser} parser-level refusals were counted`);
    assert.equal(await a.request({ cmd: "get", key: "after-http-junk" }), expectedValue("after-http-junk"));
    assert.ok(
      await converged(
        nodes,
        nodes.map((n) => n.name),
      ),
      `the cluster changed: ${JSON.stringify(await views(nodes))}`,
    );
    assert.equal(randomSent, 150);
  });

  it("drops and counts malformed SWIM packets and streams, and the cluster stays whole", async (t) => {
    const [a] = nodes as [FaultNode, FaultNode];
    const host = a.config.ip;
    const port = a.config.clusterPort;
    const before = await a.snapshot();

    const packets: Buffer[] = [Buffer.alloc(0)];
    // Every message type byte followed by msgpack that is not what the type expects, or is cut short.
    for (let type = 0; type < 256; type++) {
      packets.push(Buffer.from([type, 0xc1]));
      packets.push(Buffer.concat([Buffer.from([type, 0x8f]), str("SeqNo")]));
      packets.push(Buffer.concat([Buffer.from([type, 0x82]), str("SeqNo"), str("x"), str("Node"), Buffer.from([0x05])]));
    }
    // Compound (7) claiming more parts and longer parts than the packet holds; crc (12) that does not match;
    // compress (9) and encrypt (10) wrappers around junk.
    packets.push(Buffer.from([7, 255, 0xff, 0xff, 0x00, 0x01]));
    packets.push(Buffer.from([7, 2, 0x00, 0x03, 0x00, 0x03, 0, 1]));
    packets.push(Buffer.from([12, 0xde, 0xad, 0xbe, 0xef, 0, 0x80]));
    packets.push(Buffer.from([9, 0x82, 0xa4, 0x41, 0x6c, 0x67, 0x6f, 0x00, 0xa3, 0x42, 0x75, 0x66, 0xc4, 0x03, 1, 2, 3]));
    packets.push(Buffer.from([10, 1, 2, 3, 4, 5]));
    const random = prng(0x5317);
    for (let i = 0; i < 300; i++) packets.push(randomBytes(random, 1 + Math.floor(random() * 1400)));

    const udp = createSocket("udp4");
    try {
      await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
      for (const [i, packet] of packets.entries()) {
        await new Promise<void>((resolve, reject) => udp.send(packet, port, host, (error) => (error ? reject(error) : resolve())));
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      udp.close();
    }
    // Streams: junk, a push-pull type byte with junk, and a huge length claim.
    const streams = [
      randomBytes(random, 2000),
      Buffer.from([6, 0xc1, 0xc1, 0xc1]),
      Buffer.from([6, 0xdf, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([8, 0xff, 0xff]),
    ];
    for (const stream of streams) await exchange(host, port, stream);

    // Give the node a moment to process the burst, then check it is whole.
    const counted = await waitUntil(async () => {
      const s = await a.snapshot();
      return (
        (s.swim.packetsDropped ?? 0) + (s.swim.decodeErrors ?? 0) - ((before.swim.packetsDropped ?? 0) + (before.swim.decodeErrors ?? 0)) >=
        packets.length * 0.9
      );
    }, 5000);
    const afterSnap = await a.snapshot();
    const swimDelta = (k: string): number => (afterSnap.swim[k] ?? 0) - (before.swim[k] ?? 0);
    t.diagnostic(
      `sent ${packets.length} bad packets, ${streams.length} bad streams; counted packetsDropped +${swimDelta("packetsDropped")}, decodeErrors +${swimDelta("decodeErrors")}, streamErrors +${swimDelta("streamErrors")}`,
    );

    assert.ok(!a.exited, `the node exited: ${a.output}`);
    assert.ok(
      counted,
      `bad packets were not counted: packetsDropped +${swimDelta("packetsDropped")}, decodeErrors +${swimDelta("decodeErrors")} of ${packets.length}`,
    );
    assert.ok(swimDelta("streamErrors") + swimDelta("decodeErrors") > 0, "bad streams were not counted");
    assert.ok(
      await waitUntil(
        () =>
          converged(
            nodes,
            nodes.map((n) => n.name),
          ),
        5000,
      ),
      `the cluster changed: ${JSON.stringify(await views(nodes))}`,
    );
    const falseDeaths = afterSnap.events.filter((e) => e.type === "fail" || e.type === "leave");
    assert.deepEqual(falseDeaths, [], "a member was declared dead");
    assert.equal(await a.request({ cmd: "get", key: "after-udp-junk" }), expectedValue("after-udp-junk"));
  });
});
