import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { ContainerModule } from "inversify";
import { type CacheClusterConfig, ConfigToken, MembershipToken } from "../src/index.js";
import { closeOnSignals } from "../src/cluster/close-on-signals.js";
import { DirectMembership } from "../src/membership/direct-membership.js";
import { closeAll, connect, startNode } from "./status-nodes.js";

function loggingMembership(log: string[]): ContainerModule {
  class LoggingMembership extends DirectMembership {
    override async leave(): Promise<void> {
      log.push("membership.leave");
    }
    override async stop(): Promise<void> {
      log.push("membership.stop");
      await super.stop();
    }
  }
  return new ContainerModule(({ bind }) => {
    bind(MembershipToken).toResolvedValue((config: CacheClusterConfig) => LoggingMembership.fromConfig(config), [ConfigToken]);
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("closeOnSignals", () => {
  it("on SIGTERM runs beforeClose, leaves the membership, stops the transport last, then afterClose, and removes its handlers", async () => {
    const log: string[] = [];
    const node = await startNode("sig", {}, [loggingMembership(log)]);
    const stopTransport = node.transport.stop.bind(node.transport);
    node.transport.stop = async () => {
      log.push("transport.stop");
      await stopTransport();
    };
    const listeners = process.listenerCount("SIGTERM");
    const remove = node.cluster.closeOnSignals({
      exit: false,
      beforeClose: (signal) => void log.push(`before:${signal}`),
      afterClose: (signal, error) => void log.push(`after:${signal}:${String(error)}`),
    });
    try {
      assert.equal(process.listenerCount("SIGTERM"), listeners + 1);
      process.emit("SIGTERM", "SIGTERM");
      await until(() => log.some((l) => l.startsWith("after:")), "afterClose");
      assert.deepEqual(log, ["before:SIGTERM", "membership.leave", "membership.stop", "transport.stop", "after:SIGTERM:undefined"]);
      assert.equal(node.cluster.state, "stopped");
      assert.equal(process.listenerCount("SIGTERM"), listeners, "handlers removed after the shutdown");
    } finally {
      remove();
      await node.cluster.close();
    }
  });

  it("lets a peer request in flight finish before the node goes away", async () => {
    const a = await startNode("slow-owner");
    const b = await startNode("asker");
    let release: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      a.cluster.group("g", {
        load: async (key) => {
          resolve();
          await new Promise<void>((r) => (release = r));
          return `from-a:${key}`;
        },
      });
    });
    b.cluster.group("g", { load: (key) => `from-b:${key}` });
    const remove = a.cluster.closeOnSignals({ exit: false, leaveTimeoutMs: 10 });
    try {
      await connect([a, b]);
      const key = Array.from({ length: 200 }, (_, i) => `k${i}`).find((k) => b.cluster.ring.get(k) === a.url)!;
      const pending = b.cluster.getGroup("g")!.getString(key);
      await started;
      process.emit("SIGTERM", "SIGTERM");
      await until(() => a.cluster.state === "stopping", "shutdown to start");
      setTimeout(() => release(), 100);
      assert.equal(await pending, `from-a:${key}`, "served by the owner, not a local fallback");
      await until(() => a.cluster.state === "stopped", "shutdown to finish");
      assert.equal(b.cluster.getGroup("g")!.stats.peerErrors, 0);
    } finally {
      remove();
      release();
      await closeAll([a, b]);
    }
  });

  it("exits the process with code 0 after a graceful close on a real SIGTERM", async () => {
    const core = pathToFileURL(fileURLToPath(new URL("../src/index.js", import.meta.url))).href;
    const fake = pathToFileURL(fileURLToPath(new URL("./status-fake-transport.js", import.meta.url))).href;
    const script = `
      import { createCacheCluster } from ${JSON.stringify(core)};
      import { fakeHttpTransport } from ${JSON.stringify(fake)};
      const cluster = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" }, cluster: { advertise: "127.0.0.1" } }, [fakeHttpTransport()]);
      const { url } = await cluster.listen();
      cluster.closeOnSignals({ afterClose: (signal) => console.log("closed " + signal + " " + cluster.state) });
      console.log("ready " + url);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    try {
      await until(() => out.includes("ready ") || child.exitCode !== null, "the child to listen");
      assert.match(out, /ready http:\/\/127\.0\.0\.1:\d+/, err);
      child.kill("SIGTERM");
      const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
      assert.equal(signal, null, err);
      assert.equal(code, 0, err);
      assert.match(out, /closed SIGTERM stopped/);
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("checks its options eagerly", () => {
    const cluster = { close: async () => {} };
    assert.throws(() => closeOnSignals(cluster, { signals: [] }), { code: "CACHECLUSTER_INVALID_ARGUMENT" });
    assert.throws(() => closeOnSignals(cluster, { signals: ["TERM" as NodeJS.Signals] }), { code: "CACHECLUSTER_INVALID_ARGUMENT" });
    assert.throws(() => closeOnSignals(cluster, { timeoutMs: 0 }), { code: "CACHECLUSTER_INVALID_ARGUMENT" });
  });
});
