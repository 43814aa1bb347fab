import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { PeerError } from "@cachecluster/core";
import { RecordingPeerHandler } from "@cachecluster/testing/compliance/transport";
import { HttpTransport } from "../src/index.js";
import { ReplayCache } from "../src/server/replay-cache.js";
import { encodeSetRequest } from "../src/wire/messages.js";
import { signWrite } from "../src/wire/write-signature.js";

const KEY_A = Buffer.alloc(32, 0xa1).toString("base64");
const KEY_B = Buffer.alloc(32, 0xb2).toString("base64");
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method, headers, agent: false }, (res) => {
      let out = "";
      res.on("data", (c: Buffer) => (out += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: out }));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : Buffer.from(body));
  });
}

/** A signed PUT of `value` for g/`key`, by `secret`, at `now`: its headers and body, to send (or send again). */
function signedPut(secret: string, key: string, value: string, now = Date.now()): { headers: Record<string, string>; body: Uint8Array } {
  const body = encodeSetRequest("g", key, new TextEncoder().encode(value));
  return { headers: { authorization: signWrite(Buffer.from(secret, "base64"), "PUT", "g", key, body, now) }, body };
}

describe("signed writes: with secretKeys, PUT and DELETE need a fresh HMAC by a shared key", () => {
  const handler = new RecordingPeerHandler();
  let clock = Date.now();
  const server = new HttpTransport({ secretKeys: [KEY_A], signatureWindow: 10_000 }, { clock: { now: () => clock } });
  const signer = new HttpTransport({ secretKeys: [KEY_A] });
  let port = 0;
  let url = "";
  before(async () => {
    ({ port, url } = await server.listen(handler, { host: "127.0.0.1", port: 0 }));
  });
  after(() => Promise.all([server.stop(), signer.stop()]));
  const value = async (key: string): Promise<string> => text((await handler.get("g", key)).value);

  it("a client with the key sets and removes", async () => {
    clock = Date.now();
    await signer.client.set(url, "g", "k1", { value: new TextEncoder().encode("signed") });
    assert.equal(await value("k1"), "signed");
    await signer.client.remove(url, "g", "k1");
    assert.equal(await value("k1"), "value-of:k1");
  });

  it("unsigned PUT and DELETE get 401 with a WWW-Authenticate challenge, change nothing, and are counted", async () => {
    clock = Date.now();
    await signer.client.set(url, "g", "k2", { value: new TextEncoder().encode("kept") });
    const before = server.serverStats.unsigned;
    const put = await send(port, "PUT", "/_groupcache/g/k2", {}, encodeSetRequest("g", "k2", new TextEncoder().encode("evil")));
    assert.equal(put.status, 401);
    assert.equal(put.headers["www-authenticate"], "CacheCluster-HMAC-SHA256");
    assert.match(put.body, /needs a CacheCluster-HMAC-SHA256 signature/);
    const del = await send(port, "DELETE", "/_groupcache/g/k2", {});
    assert.equal(del.status, 401);
    const unsignedClient = new HttpTransport();
    await assert.rejects(unsignedClient.client.remove(url, "g", "k2"), (e: unknown) => e instanceof PeerError && e.status === 401);
    await unsignedClient.stop();
    assert.equal(await value("k2"), "kept");
    assert.equal(server.serverStats.unsigned, before + 3);
  });

  it("a signature by another key is refused (401), whatever it signs", async () => {
    clock = Date.now();
    const other = new HttpTransport({ secretKeys: [KEY_B] });
    try {
      await assert.rejects(
        other.client.set(url, "g", "k3", { value: new TextEncoder().encode("evil") }),
        (e: unknown) => e instanceof PeerError && e.status === 401,
      );
      await assert.rejects(other.client.remove(url, "g", "k3"), (e: unknown) => e instanceof PeerError && e.status === 401);
    } finally {
      await other.stop();
    }
    assert.equal(await value("k3"), "value-of:k3");
    assert.equal(server.serverStats.badSignature, 2);
  });

  it("a signed write replayed is refused (401 replayed), even byte for byte", async () => {
    clock = Date.now();
    const write = signedPut(KEY_A, "k4", "first");
    assert.equal((await send(port, "PUT", "/_groupcache/g/k4", write.headers, write.body)).status, 200);
    await signer.client.set(url, "g", "k4", { value: new TextEncoder().encode("second") });
    const replay = await send(port, "PUT", "/_groupcache/g/k4", write.headers, write.body);
    assert.equal(replay.status, 401);
    assert.match(replay.body, /replay/);
    assert.equal(await value("k4"), "second");
    assert.equal(server.serverStats.replayed, 1);
  });

  it("a write signed more than signatureWindow ago, or ahead, is stale (401) and changes nothing", async () => {
    clock = Date.now();
    for (const skew of [-10_001, 10_001, -3_600_000]) {
      const write = signedPut(KEY_A, "k5", "late", clock + skew);
      const res = await send(port, "PUT", "/_groupcache/g/k5", write.headers, write.body);
      assert.equal(res.status, 401, `skew ${skew}`);
      assert.match(res.body, /off this node's clock/);
    }
    const edge = signedPut(KEY_A, "k5", "on time", clock - 10_000);
    assert.equal((await send(port, "PUT", "/_groupcache/g/k5", edge.headers, edge.body)).status, 200);
    assert.equal(await value("k5"), "on time");
    assert.equal(server.serverStats.stale, 3);
  });

  it("a replay after the window is stale, and the nonces of expired writes are forgotten", async () => {
    clock = Date.now();
    const write = signedPut(KEY_A, "k6", "once", clock);
    assert.equal((await send(port, "PUT", "/_groupcache/g/k6", write.headers, write.body)).status, 200);
    clock += 10_001;
    const replay = await send(port, "PUT", "/_groupcache/g/k6", write.headers, write.body);
    assert.equal(replay.status, 401);
    assert.match(replay.body, /off this node's clock/);
    // Once every earlier write has left the window, a fresh one prunes the cache: only its own nonce is left.
    clock = Date.now() + 20_002;
    const fresh = signedPut(KEY_A, "k6", "later", clock);
    assert.equal((await send(port, "PUT", "/_groupcache/g/k6", fresh.headers, fresh.body)).status, 200);
    assert.equal(server.stats().serverReplayCacheEntries, 1);
  });

  it("a body other than the signed one, or a signature moved to another key or method, is refused", async () => {
    clock = Date.now();
    const write = signedPut(KEY_A, "k7", "signed body");
    const swapped = await send(port, "PUT", "/_groupcache/g/k7", write.headers, encodeSetRequest("g", "k7", new TextEncoder().encode("other body")));
    assert.equal(swapped.status, 401);
    assert.match(swapped.body, /not the one signed/);
    const moved = await send(port, "PUT", "/_groupcache/g/k8", write.headers, write.body);
    assert.equal(moved.status, 401);
    const asDelete = await send(port, "DELETE", "/_groupcache/g/k7", write.headers);
    assert.equal(asDelete.status, 401);
    const malformed = await send(port, "PUT", "/_groupcache/g/k7", { authorization: "CacheCluster-HMAC-SHA256 t=1, s=x" }, write.body);
    assert.equal(malformed.status, 401);
    assert.equal(await value("k7"), "value-of:k7");
    assert.equal(await value("k8"), "value-of:k8");
  });

  it("gets need no signature (Go peers send plain GETs)", async () => {
    const res = await send(port, "GET", "/_groupcache/g/plain", {});
    assert.equal(res.status, 200);
  });
});

describe("signed writes: key rotation as memberlist's keyring", () => {
  it("the first key signs, every key verifies: add a key second, move it first, drop the old one", async () => {
    const handler = new RecordingPeerHandler();
    const servers = [
      new HttpTransport({ secretKeys: [KEY_A] }),
      new HttpTransport({ secretKeys: [KEY_A, KEY_B] }),
      new HttpTransport({ secretKeys: [KEY_B, KEY_A] }),
      new HttpTransport({ secretKeys: [KEY_B] }),
    ];
    const urls = await Promise.all(servers.map(async (s) => (await s.listen(handler, { host: "127.0.0.1", port: 0 })).url));
    const accepts = async (client: HttpTransport, url: string): Promise<boolean> =>
      client.client.set(url, "g", "rot", { value: new Uint8Array([1]) }).then(
        () => true,
        () => false,
      );
    try {
      // Every step of the rotation is a state some nodes are in while others are one step behind or ahead.
      const verdicts = [];
      for (const signer of servers) for (const url of urls) verdicts.push(await accepts(signer, url));
      assert.deepEqual(verdicts, [
        ...[true, true, true, false], // signs with A
        ...[true, true, true, false], // signs with A
        ...[false, true, true, true], // signs with B
        ...[false, true, true, true], // signs with B
      ]);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});

describe("replay cache", () => {
  it("remembers a nonce until it expires, and refuses new ones when full rather than forget live ones", () => {
    const cache = new ReplayCache(2);
    assert.equal(cache.remember("a", 100, 0), "fresh");
    assert.equal(cache.remember("a", 100, 50), "replayed");
    assert.equal(cache.remember("b", 200, 50), "fresh");
    assert.equal(cache.remember("c", 200, 60), "full");
    assert.equal(cache.remember("c", 200, 100), "fresh", "a expired at 100");
    assert.equal(cache.remember("a", 300, 100), "full");
    assert.equal(cache.size, 2);
  });
});
