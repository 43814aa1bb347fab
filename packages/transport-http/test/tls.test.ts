import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { type CacheCluster, PeerError, createCacheCluster, staticDiscovery } from "@cachecluster/core";
import { RecordingPeerHandler } from "@cachecluster/testing/compliance/transport";
import { HttpTransport, httpTransport } from "../src/index.js";
import { reservePort } from "./helpers/go-peer.js";
import { type TlsFiles, makeTlsFiles } from "./helpers/tls-files.js";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail("expected the call to fail"),
    (e: unknown) => e,
  );
}

/** A plain-HTTP GET to a port; resolves with the status, or the error the connection ended with. */
function plainGet(port: number, path: string): Promise<number | Error> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", resolve);
    req.end();
  });
}

describe("TLS on the peer plane", () => {
  let files: TlsFiles;
  before(() => {
    files = makeTlsFiles();
  });
  after(() => rmSync(files.dir, { recursive: true, force: true }));

  it("serves peers over HTTPS, and a plaintext client is refused without a loader running", async () => {
    const handler = new RecordingPeerHandler();
    const server = new HttpTransport({ tls: { cert: files.cert, key: files.key, ca: files.ca } });
    const client = new HttpTransport({ tls: { cert: files.cert, key: files.key, ca: files.ca } });
    const plain = new HttpTransport();
    try {
      const { url, port } = await server.listen(handler, { host: "127.0.0.1", port: 0 });
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(text((await client.client.fetch(url, "g", "k")).value), "value-of:k");
      assert.deepEqual(handler.gets, [{ group: "g", key: "k" }]);

      const plaintext = await plainGet(port, "/_groupcache/g/chosen");
      assert.ok(plaintext instanceof Error || plaintext === 400, `a plaintext request got ${String(plaintext)}`);
      const viaTransport = await failure(plain.client.fetch(url.replace("https:", "http:"), "g", "chosen-too"));
      assert.ok(viaTransport instanceof PeerError, String(viaTransport));
      assert.deepEqual(handler.gets, [{ group: "g", key: "k" }], "no loader ran for a plaintext client");
      assert.ok(server.tlsRefused >= 1);
      assert.equal(server.stats().serverTlsRefusedTotal, server.tlsRefused);
    } finally {
      await Promise.all([server.stop(), client.stop(), plain.stop()]);
    }
  });

  it("a client that does not trust the server's CA refuses it", async () => {
    const server = new HttpTransport({ tls: { cert: files.strangerCert, key: files.strangerKey } });
    const client = new HttpTransport({ tls: { cert: files.cert, key: files.key, ca: files.ca } });
    try {
      const { url } = await server.listen(new RecordingPeerHandler(), { host: "127.0.0.1", port: 0 });
      const error = await failure(client.client.fetch(url, "g", "k"));
      assert.ok(error instanceof PeerError, String(error));
    } finally {
      await Promise.all([server.stop(), client.stop()]);
    }
  });

  it("with clientAuth (mutual TLS), a client without a certificate, or with one from another CA, is refused; a member's is served", async () => {
    const handler = new RecordingPeerHandler();
    const server = new HttpTransport({ tls: { cert: files.cert, key: files.key, ca: files.ca, clientAuth: true } });
    const member = new HttpTransport({ tls: { cert: files.cert, key: files.key, ca: files.ca } });
    const stranger = new HttpTransport({ tls: { cert: files.strangerCert, key: files.strangerKey, ca: files.ca } });
    try {
      const { url } = await server.listen(handler, { host: "127.0.0.1", port: 0 });
      assert.equal(text((await member.client.fetch(url, "g", "mine")).value), "value-of:mine");
      const noCert = await fetch(`${url}/_groupcache/g/no-cert`).then(
        (r) => r.status,
        (e: unknown) => e,
      );
      assert.ok(noCert instanceof Error, `a client without a certificate got ${String(noCert)}`);
      assert.ok((await failure(stranger.client.fetch(url, "g", "theirs"))) instanceof PeerError);
      assert.deepEqual(handler.gets, [{ group: "g", key: "mine" }]);
    } finally {
      await Promise.all([server.stop(), member.stop(), stranger.stop()]);
    }
  });

  it("[cache] tls_* keys: two nodes form a cluster over HTTPS, with https cache URLs", async () => {
    const ports = [await reservePort(), await reservePort()];
    const clusters: CacheCluster[] = [];
    try {
      for (const [i, port] of ports.entries()) {
        const cluster = await createCacheCluster(
          {
            cache: { host: "127.0.0.1", port, tls_cert: files.cert, tls_key: files.key, tls_ca: files.ca, tls_client_auth: true },
            cluster: { advertise: "127.0.0.1", name: `tls-${i}` },
            admin: { port: 0 },
          },
          [httpTransport(), staticDiscovery(ports.map((p) => `https://127.0.0.1:${p}`))],
        );
        cluster.group("g", { load: (key) => `by-${i}:${key}` });
        await cluster.listen();
        clusters.push(cluster);
      }
      const [a, b] = clusters as [CacheCluster, CacheCluster];
      assert.equal(a.local.cacheUrl, `https://127.0.0.1:${ports[0]}`);
      const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => a.ring.get(k) === b.local.cacheUrl)!;
      assert.equal(await a.getGroup("g")!.getString(key), `by-1:${key}`, "A fetched B's key from B over mutual TLS");
      assert.equal(a.getGroup("g")!.stats.peerLoads, 1);
      // The peer stream opens inside the TLS connection, and the next gets go over it.
      const stats = (cluster: CacheCluster): Readonly<Record<string, number>> => (cluster.transport as HttpTransport).stats();
      for (let i = 0; i < 200 && stats(a).clientStreams !== 1; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(stats(a).clientStreams, 1, "a stream from A to B is open");
      const streamGets = stats(b).serverStreamGetsTotal ?? 0;
      const more = Array.from({ length: 200 }, (_, i) => `m${i}`).filter((k) => a.ring.get(k) === b.local.cacheUrl);
      for (const k of more.slice(0, 5)) assert.equal(await a.getGroup("g")!.getString(k), `by-1:${k}`);
      assert.equal(stats(b).serverStreamGetsTotal, streamGets + 5, "B served the 5 gets over the stream");
    } finally {
      await Promise.all(clusters.map((c) => c.close({ leaveTimeoutMs: 10 })));
    }
  });

  it("a tls file that cannot be read is a ConfigError naming the option and the path", () => {
    assert.throws(
      () => new HttpTransport({ tls: { cert: "/nonexistent/cert.pem", key: files.key } }),
      /options\.tls\.cert: cannot read \/nonexistent\/cert\.pem/,
    );
    assert.throws(() => new HttpTransport({ tls: { cert: files.cert, key: files.key, clientAuth: true } }), /tls\.clientAuth needs tls\.ca/);
  });
});
