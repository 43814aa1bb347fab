import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { PeerError, createCacheCluster, createDefaultLogger, staticDiscovery } from "../src/index.js";

const run = promisify(execFile);
const coreIndex = new URL("../src/index.js", import.meta.url).href;

/** A destination that keeps the lines. */
function lines(): { write(line: string): void; records(): Record<string, unknown>[] } {
  const out: string[] = [];
  return {
    write: (line) => void out.push(line),
    records: () =>
      out
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

// A node whose discovery lists only itself warns once, after join_timeout, that it is alone (local mode).
// No transport: nothing binds a port. The warning's timer expires before the 200 ms one, so it has fired by then.
const self = "http://127.0.0.1:9080";
const aloneConfig = { cache: { self }, cluster: { join_timeout: 20 } };

/** Runs a script that assembles a cluster with no logger and makes it warn once; returns its stderr. */
async function stderrOfCluster(env: Record<string, string>): Promise<string> {
  const script = `
    const { createCacheCluster, staticDiscovery } = await import(${JSON.stringify(coreIndex)});
    const cluster = await createCacheCluster(${JSON.stringify(aloneConfig)}, [staticDiscovery([${JSON.stringify(self)}])]);
    await cluster.listen();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await cluster.close();
  `;
  const { stderr } = await run(process.execPath, ["--input-type=module", "-e", script], { env: { PATH: process.env.PATH ?? "", ...env } });
  return stderr;
}

describe("the default logger", () => {
  it("a cluster given no logger writes its warnings to stderr as JSON lines with Cloud Logging's severity", async () => {
    const stderr = await stderrOfCluster({});
    const records = stderr.split("\n").filter(Boolean);
    assert.equal(records.length, 1, stderr);
    const record = JSON.parse(records[0]!) as Record<string, unknown>;
    assert.equal(record.severity, "WARNING");
    assert.match(String(record.message), /still in local mode/);
    assert.match(String(record.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("CACHECLUSTER_LOG_LEVEL sets the level: error hides warnings, silent everything; an unknown level is a config error", async () => {
    assert.equal(await stderrOfCluster({ CACHECLUSTER_LOG_LEVEL: "error" }), "");
    assert.equal(await stderrOfCluster({ CACHECLUSTER_LOG_LEVEL: "silent" }), "");
    await assert.rejects(
      stderrOfCluster({ CACHECLUSTER_LOG_LEVEL: "loud" }),
      /CACHECLUSTER_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"/,
    );
  });

  it("a user's own logger gets the cluster's lines, and nothing goes to stderr", async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? "") };
    const cluster = await createCacheCluster(aloneConfig, [staticDiscovery([self])], { logger });
    await cluster.listen();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await cluster.close();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /still in local mode/);
  });

  it("writes an error as one line with its cause chain and no stack, and the stack only at debug", () => {
    const sink = lines();
    const logger = createDefaultLogger({ destination: sink, level: "info" });
    const root = Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:9080"), { code: "ECONNREFUSED" });
    const error = new PeerError("http://10.0.0.7:9080", "GET /_groupcache/g/k: fetch failed", { cause: new TypeError("fetch failed", { cause: root }) });
    logger.warn({ err: error, peer: "http://10.0.0.7:9080" }, "cachecluster: peer fetch failed");
    const [record] = sink.records();
    assert.deepEqual(record?.err, {
      type: "PeerError",
      code: "CACHECLUSTER_PEER_FETCH_FAILED",
      message: "peer http://10.0.0.7:9080: GET /_groupcache/g/k: fetch failed",
      causes: ["TypeError: fetch failed", "Error [ECONNREFUSED]: connect ECONNREFUSED 10.0.0.7:9080"],
    });
    const debugSink = lines();
    createDefaultLogger({ destination: debugSink, level: "debug" }).warn({ err: error }, "x");
    assert.match(String((debugSink.records()[0]?.err as { stack?: string }).stack), /PeerError/);
  });

  it("prints a failure repeated within the window once, then once more after it with the count of repeats folded", () => {
    const sink = lines();
    let now = 0;
    const logger = createDefaultLogger({ destination: sink, level: "info", repeatWindowMs: 60_000, now: () => now });
    const failure = () => new Error("quota exceeded", { cause: new Error("429") });
    for (let i = 0; i < 50; i++) logger.warn({ err: failure(), attempt: i }, "discovery refresh failed");
    logger.warn({ err: new Error("another failure") }, "discovery refresh failed");
    now = 61_000;
    logger.warn({ err: failure() }, "discovery refresh failed");
    const records = sink.records();
    assert.deepEqual(
      records.map((r) => [(r.err as { message: string }).message, r.repeated]),
      [
        ["quota exceeded", undefined],
        ["another failure", undefined],
        ["quota exceeded", 49],
      ],
    );
  });
});
