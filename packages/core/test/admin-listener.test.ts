import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { createCacheCluster, parseConfig } from "../src/index.js";
import { fakeHttpTransport } from "./status-fake-transport.js";
import { closeAll, getText, startNode } from "./status-nodes.js";

const ADMIN_PATHS = ["/_cachecluster/status", "/_cachecluster/status.json", "/_cachecluster/metrics", "/metrics", "/healthz", "/readyz"];

describe("the admin listener ([admin])", () => {
  it("is on by default, on loopback only, off the peer port, with no port set (9081, or a free one when [cache] port is 0)", () => {
    assert.deepEqual({ ...parseConfig({}).admin }, { enabled: true, host: "127.0.0.1", on_peer_port: false });
  });

  it("serves the status page, status.json, metrics and health checks, and the peer port serves none of them", async () => {
    const node = await startNode("admin-apart");
    try {
      assert.match(node.admin, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(node.admin, node.url);
      for (const path of ADMIN_PATHS) {
        assert.equal((await getText(`${node.admin}${path}`)).status, 200, `admin ${path}`);
        assert.equal((await getText(`${node.url}${path}`)).status, 404, `peer port ${path}`);
      }
      const missing = await getText(`${node.admin}/nope`);
      assert.equal(missing.status, 404);
      assert.deepEqual((JSON.parse(missing.body) as { routes: string[] }).routes, ["/healthz", "/readyz", "/_cachecluster/", "/metrics"]);
    } finally {
      await closeAll([node]);
    }
  });

  it("with on_peer_port, serves them on the peer port too (explicit opt-in)", async () => {
    const cluster = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" }, admin: { on_peer_port: true } }, [fakeHttpTransport()]);
    try {
      const { url } = await cluster.listen();
      for (const path of ADMIN_PATHS) {
        assert.equal((await getText(`${url}${path}`)).status, 200, `peer port ${path}`);
        assert.equal((await getText(`${cluster.adminUrl}${path}`)).status, 200, `admin ${path}`);
      }
    } finally {
      await cluster.close();
    }
  });

  it("is not opened with enabled = false or listen({ admin: false })", async () => {
    const off = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" }, admin: { enabled: "false" } }, [fakeHttpTransport()]);
    const none = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" } }, [fakeHttpTransport()]);
    try {
      await off.listen();
      await none.listen({ admin: false });
      assert.equal(off.adminUrl, undefined);
      assert.equal(none.adminUrl, undefined);
    } finally {
      await Promise.all([off.close(), none.close()]);
    }
  });

  it("a port in use fails listen() with CACHECLUSTER_LISTEN_FAILED naming the address, and the cluster is stopped", async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const port = (squatter.address() as { port: number }).port;
    const cluster = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" }, admin: { port } }, [fakeHttpTransport()]);
    try {
      await assert.rejects(cluster.listen(), (error: Error & { code?: string }) => {
        assert.equal(error.code, "CACHECLUSTER_LISTEN_FAILED");
        assert.match(error.message, new RegExp(`admin listener could not bind 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
        return true;
      });
      assert.equal(cluster.state, "stopped");
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("a bad [admin] value is a config error naming the key", () => {
    assert.throws(() => parseConfig({ admin: { port: 70_000 } }), /\[admin\] port|admin\.port/);
  });
});
