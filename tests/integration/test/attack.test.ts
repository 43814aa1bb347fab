// The peer plane attacked as issue 11 describes: a host that reaches a node's cache port but is no member, and
// hostile uploads from an address that passes the access check. After every attack, each cached value on every
// node is the one its loader made, and no loader ran for a key the attacker chose.
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { type CacheCluster, createCacheCluster, staticDiscovery } from "@cachecluster/core";
import { httpTransport } from "@cachecluster/transport-http";

const SECRET = randomBytes(32).toString("base64");
const OUTSIDER = "127.0.0.49";
const KEYS = Array.from({ length: 20 }, (_, i) => `key-${i}`);
const valueOf = (node: number, key: string): string => `node-${node}:${key}`;

interface Cluster {
  readonly nodes: CacheCluster[];
  readonly loads: string[][];
  readonly ports: number[];
}

async function freePort(host: string): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Two nodes on 127.0.0.4x, every key loaded once into its owner (and read through the other). */
async function startCluster(hosts: readonly string[], secretKeys: readonly string[]): Promise<Cluster> {
  const ports = await Promise.all(hosts.map((h) => freePort(h)));
  const urls = hosts.map((h, i) => `http://${h}:${ports[i]}`);
  const nodes: CacheCluster[] = [];
  const loads: string[][] = [];
  for (const [i, host] of hosts.entries()) {
    const node = await createCacheCluster(
      { cache: { host, port: ports[i], self: urls[i], secret_keys: [...secretKeys] }, admin: { port: 0 }, cluster: { advertise: host, name: `victim-${i}` } },
      [httpTransport({ headersTimeout: 1000, requestTimeout: 1500 }), staticDiscovery(urls)],
    );
    const mine: string[] = [];
    loads.push(mine);
    node.group("g", {
      load: (key) => {
        mine.push(key);
        return valueOf(i, key);
      },
    });
    await node.listen();
    nodes.push(node);
  }
  for (const node of nodes) for (const key of KEYS) await node.getGroup("g")!.getString(key);
  return { nodes, loads, ports };
}

/** Every node still reads each key as its owner's loader made it, and no loader ran since `before`. */
async function assertUntouched(cluster: Cluster, loadsBefore: readonly number[]): Promise<void> {
  for (const node of cluster.nodes) {
    for (const key of KEYS) {
      const owner = cluster.nodes.findIndex((n) => n.local.cacheUrl === node.ring.get(key));
      assert.equal(await node.getGroup("g")!.getString(key), valueOf(owner, key), `${node.local.name} reads ${key}`);
    }
  }
  assert.deepEqual(
    cluster.loads.map((l) => l.length),
    loadsBefore,
    "no loader ran",
  );
}

/** One request from `from`; resolves with the status (0 when the connection ended without an answer). */
function send(from: string, host: string, port: number, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest({ host, port, path, method, headers, localAddress: from, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

/** A SetRequest body (protobuf: 1 group, 2 key, 3 value, 4 expire ns), expiring in the year 2100. */
function setBody(group: string, key: string, value: string): Buffer {
  const field = (n: number, bytes: Buffer): Buffer => Buffer.concat([Buffer.from([(n << 3) | 2, bytes.length]), bytes]);
  const expire = Buffer.alloc(9);
  expire[0] = (4 << 3) | 0;
  let ns = 4102444800000000000n;
  let i = 1;
  do {
    expire[i] = Number(ns & 0x7fn) | (ns > 0x7fn ? 0x80 : 0);
    ns >>= 7n;
    i++;
  } while (ns > 0n);
  return Buffer.concat([field(1, Buffer.from(group)), field(2, Buffer.from(key)), field(3, Buffer.from(value)), expire.subarray(0, i)]);
}

/** `Authorization` of a signed write, made from the README's description of the scheme (not the library's code). */
function signature(method: string, group: string, key: string, body: Buffer | undefined, at: number, secret = SECRET): string {
  const digest = createHash("sha256")
    .update(body ?? Buffer.alloc(0))
    .digest("base64url");
  const nonce = randomBytes(16).toString("base64url");
  const text = ["CacheCluster-HMAC-SHA256", method, group, key, String(at), nonce, digest].join("\n");
  const s = createHmac("sha256", Buffer.from(secret, "base64")).update(text).digest("base64url");
  return `CacheCluster-HMAC-SHA256 t=${at}, n=${nonce}, d=${digest}, s=${s}`;
}

describe("attack: an outsider on the peer port (defaults: no secret keys, reads by members only)", () => {
  let cluster: Cluster;
  let loadsBefore: number[];
  before(async () => {
    cluster = await startCluster(["127.0.0.41", "127.0.0.42"], []);
    loadsBefore = cluster.loads.map((l) => l.length);
  });
  after(() => Promise.all(cluster.nodes.map((n) => n.close({ leaveTimeoutMs: 10 }))));

  it("non-member PUT, DELETE and GET (cached and fresh keys) are 403; values and loads unchanged", async () => {
    const [host, port] = ["127.0.0.41", cluster.ports[0]!];
    for (const key of KEYS.slice(0, 5)) {
      assert.equal(await send(OUTSIDER, host, port, "PUT", `/_groupcache/g/${key}`, {}, setBody("g", key, "poisoned")), 403);
      assert.equal(await send(OUTSIDER, host, port, "DELETE", `/_groupcache/g/${key}`), 403);
      assert.equal(await send(OUTSIDER, host, port, "GET", `/_groupcache/g/${key}`), 403);
    }
    assert.equal(await send(OUTSIDER, host, port, "GET", "/_groupcache/g/attacker-chosen"), 403);
    for (const method of ["HEAD", "OPTIONS", "TRACE", "PROPFIND", "POST"]) assert.equal(await send(OUTSIDER, host, port, method, "/_groupcache/g/x"), 405);
    assert.equal(await send(OUTSIDER, host, port, "GET", "/_cachecluster/status.json"), 404, "no status on the peer port");
    assert.equal(await send(OUTSIDER, host, port, "GET", "/metrics"), 404, "no metrics on the peer port");
    await assertUntouched(cluster, loadsBefore);
  });

  it("request smuggling variants are refused or read as one request; a hidden DELETE never runs", async () => {
    const port = cluster.ports[0]!;
    const key = KEYS.find((k) => cluster.nodes[0]!.ring.get(k) === cluster.nodes[0]!.local.cacheUrl)!;
    const hidden = `DELETE /_groupcache/g/${key} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const variants = [
      // CL.TE and TE.CL: both framings at once.
      `POST /_groupcache/g/${key} HTTP/1.1\r\nHost: x\r\nContent-Length: ${hidden.length + 5}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden}`,
      `GET /_groupcache/g/${key} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n${hidden}\r\n0\r\n\r\n`,
      // Two different Content-Lengths; obfuscated Transfer-Encoding; a bare LF; a chunk size that overflows.
      `GET /_groupcache/g/${key} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
      `GET /_groupcache/g/${key} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n${hidden}`,
      `GET /_groupcache/g/${key} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${hidden}`,
      `GET /_groupcache/g/${key} HTTP/1.1\nHost: x\nContent-Length: ${hidden.length}\n\n${hidden}`,
      `PUT /_groupcache/g/${key} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n${hidden}\r\n0\r\n\r\n`,
    ];
    for (const raw of variants) {
      const answer = await rawExchange("127.0.0.41", port, raw, "127.0.0.42");
      const statuses = [...answer.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
      assert.ok(!statuses.includes(200) || statuses.length === 1, `one answer at most per variant: ${JSON.stringify(answer.slice(0, 300))}`);
    }
    await assertUntouched(cluster, loadsBefore);
  });
});

/** Writes `raw` on one connection from `from` and collects what comes back until the server closes (or 2 s). */
function rawExchange(host: string, port: number, raw: string, from: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, localAddress: from });
    let out = "";
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.on("data", (c: Buffer) => (out += c.toString("latin1")));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on("error", () => {});
    socket.end(raw);
  });
}

describe("attack: signed writes ([cache] secret_keys)", () => {
  let cluster: Cluster;
  let loadsBefore: number[];
  before(async () => {
    cluster = await startCluster(["127.0.0.43", "127.0.0.44"], [SECRET]);
    loadsBefore = cluster.loads.map((l) => l.length);
  });
  after(() => Promise.all(cluster.nodes.map((n) => n.close({ leaveTimeoutMs: 10 }))));

  it("unsigned, wrongly signed, replayed and expired writes are 401 and change nothing", async () => {
    const [host, port] = ["127.0.0.43", cluster.ports[0]!];
    const key = KEYS[0]!;
    const body = setBody("g", key, "poisoned");
    const put = (auth?: string) => send(OUTSIDER, host, port, "PUT", `/_groupcache/g/${key}`, auth === undefined ? {} : { authorization: auth }, body);
    assert.equal(await put(), 401, "unsigned");
    assert.equal(await put(signature("PUT", "g", key, body, Date.now(), randomBytes(32).toString("base64"))), 401, "another key");
    assert.equal(await put(signature("PUT", "g", key, setBody("g", key, "other"), Date.now())), 401, "signed another body");
    assert.equal(await put(signature("PUT", "g", key, body, Date.now() - 60_000)), 401, "expired");
    assert.equal(await put(signature("PUT", "g", key, body, Date.now() + 60_000)), 401, "from the future");
    // A write signed by a member, captured and sent again: the first copy is a real write, the replay is refused.
    const captured = signature("DELETE", "g", KEYS[1]!, undefined, Date.now());
    assert.equal(await send(OUTSIDER, host, port, "DELETE", `/_groupcache/g/${KEYS[1]}`, { authorization: captured }), 200, "the original");
    assert.equal(await send(OUTSIDER, host, port, "DELETE", `/_groupcache/g/${KEYS[1]}`, { authorization: captured }), 401, "its replay");
    const stats = (cluster.nodes[0]!.transport as unknown as { stats(): Record<string, number> }).stats();
    assert.equal(stats.serverUnsignedTotal, 1);
    assert.equal(stats.serverBadSignatureTotal, 2);
    assert.equal(stats.serverStaleTotal, 2);
    assert.equal(stats.serverReplayedTotal, 1);
    // The one legitimate DELETE removed KEYS[1] on node 0; every other key reads as its owner made it, and no
    // loader ran for any other key.
    for (const node of cluster.nodes) {
      for (const k of KEYS.filter((k) => k !== KEYS[1])) {
        const owner = cluster.nodes.findIndex((n) => n.local.cacheUrl === node.ring.get(k));
        assert.equal(await node.getGroup("g")!.getString(k), valueOf(owner, k));
      }
    }
    assert.deepEqual(
      cluster.loads.map((l, i) => l.slice(loadsBefore[i]).filter((k) => k !== KEYS[1])),
      [[], []],
    );
  });
});

describe("attack: hostile uploads from an address that passes the access check", () => {
  let cluster: Cluster;
  let loadsBefore: number[];
  before(async () => {
    cluster = await startCluster(["127.0.0.45", "127.0.0.46"], []);
    loadsBefore = cluster.loads.map((l) => l.length);
  });
  after(() => Promise.all(cluster.nodes.map((n) => n.close({ leaveTimeoutMs: 10 }))));

  it("a declared 60 MB body is 413 before a byte is read; a slow body is cut off by requestTimeout", async () => {
    const [host, port, member] = ["127.0.0.45", cluster.ports[0]!, "127.0.0.46"];
    const declared = await rawExchange(host, port, `PUT /_groupcache/g/${KEYS[0]} HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n\r\n`, member);
    assert.match(declared, /^HTTP\/1\.1 413 /);
    const started = performance.now();
    const slow = await new Promise<string>((resolve) => {
      const socket = connect({ host, port, localAddress: member });
      let out = "";
      socket.on("data", (c: Buffer) => (out += c.toString("latin1")));
      socket.on("error", () => {});
      socket.on("close", () => {
        clearInterval(drip);
        resolve(out);
      });
      socket.write(`PUT /_groupcache/g/${KEYS[0]} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n`);
      const drip = setInterval(() => socket.writable && socket.write("x"), 100);
      setTimeout(() => socket.destroy(), 5000);
    });
    const took = performance.now() - started;
    assert.ok(took < 4000, `the slow upload held its connection ${took.toFixed(0)} ms`);
    assert.ok(slow === "" || /^HTTP\/1\.1 408 /.test(slow), `a slow upload got ${JSON.stringify(slow.slice(0, 80))}`);
    await assertUntouched(cluster, loadsBefore);
  });

  it("50 concurrent streamed 60 MB uploads: each cut off at max_set_bytes, RSS grows by less than 64 MiB", async () => {
    const [host, port, member] = ["127.0.0.45", cluster.ports[0]!, "127.0.0.46"];
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const chunk = Buffer.concat([Buffer.from("10000\r\n"), Buffer.alloc(0x10000, 0x61), Buffer.from("\r\n")]);
    const deadline = performance.now() + 20_000;
    const sent: number[] = [];
    const answers = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          new Promise<string>((resolve) => {
            const socket = connect({ host, port, localAddress: member });
            let out = "";
            let bytes = 0;
            socket.on("data", (c: Buffer) => (out += c.toString("latin1")));
            socket.on("error", () => {});
            socket.on("close", () => {
              sent.push(bytes);
              resolve(out);
            });
            const pump = (): void => {
              // 60 MB per upload at most, with backpressure: the client holds one chunk, never the body.
              while (socket.writable && bytes < 60_000_000 && performance.now() < deadline) {
                bytes += chunk.length;
                if (!socket.write(chunk)) return void socket.once("drain", pump);
              }
              socket.destroy();
            };
            socket.write(`PUT /_groupcache/g/upload-${i} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
            pump();
          }),
      ),
    );
    clearInterval(sampler);
    const grown = (rssPeak - rssBefore) / 2 ** 20;
    const statuses = answers.map((a) => /^HTTP\/1\.1 (\d{3})/.exec(a)?.[1] ?? "none");
    // 413 at max_set_bytes, 503 from the upload gate, or 408 where a loaded machine made an upload outlast the
    // test cluster's 1.5 s requestTimeout before it reached the limit: each is the server cutting the body off.
    assert.ok(
      statuses.every((s) => s === "413" || s === "503" || s === "408"),
      `every upload refused: ${statuses.join(",")}`,
    );
    assert.ok(statuses.filter((s) => s === "413").length >= 25, `most uploads reached max_set_bytes: ${statuses.join(",")}`);
    assert.ok(grown < 64, `RSS grew by ${grown.toFixed(1)} MiB`);
    console.log(
      `# 50 streamed 60 MB uploads: RSS +${grown.toFixed(1)} MiB at peak; ${(sent.reduce((a, b) => a + b, 0) / 2 ** 20).toFixed(0)} MiB sent before the cut-off`,
    );
    await assertUntouched(cluster, loadsBefore);
  });
});
