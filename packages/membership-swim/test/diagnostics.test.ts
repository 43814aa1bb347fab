import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecodeError } from "@cachecluster/core";
import { VirtualScheduler } from "@cachecluster/testing/memory-network";
import { RemoteError } from "../src/errors.js";
import { Diagnostics, classifyExchangeError } from "../src/protocol/diagnostics.js";
import { ProtocolStats } from "../src/protocol/stats.js";
import { EncryptionError } from "../src/wire/index.js";
import { recordingLogger } from "./helpers/parts.js";

const undecryptable = (): EncryptionError =>
  new EncryptionError("undecryptable", "remote state cannot be decrypted: no installed keys could decrypt the message");

function setup() {
  const scheduler = new VirtualScheduler(0);
  const logger = recordingLogger();
  const stats = new ProtocolStats();
  const diagnostics = new Diagnostics({ clock: scheduler.clock(), logger }, stats);
  const errors = (): string[] => logger.lines.filter((l) => l.level === "error").map((l) => l.msg);
  return { scheduler, stats, diagnostics, errors };
}

describe("Diagnostics (why gossip cannot be read)", () => {
  it("classifies failures by what they say about the configuration, and reachability problems as nothing", () => {
    const problem = (e: unknown) => classifyExchangeError(e)?.problem;
    assert.equal(problem(undecryptable()), "keys-differ");
    assert.equal(problem(new EncryptionError("unexpected-encryption", "x")), "encryption-mismatch");
    assert.equal(problem(new EncryptionError("unencrypted", "x")), "encryption-mismatch");
    assert.equal(problem(new RemoteError("No installed keys could decrypt the message")), "keys-differ");
    assert.equal(problem(new RemoteError("Encryption is configured but remote state is not encrypted")), "encryption-mismatch");
    assert.equal(problem(new RemoteError("push/pull refused: versions")), "remote-error");
    assert.equal(problem(new DecodeError("garbage")), "undecodable");
    assert.equal(problem(new Error("dial 10.0.0.1:7946: timed out after 10000 ms")), undefined);
    assert.match(classifyExchangeError(undecryptable())!.message, /the gossip keys differ/);
  });

  it("logs each cause once at error level, and again only after it was resolved and came back", () => {
    const { diagnostics, errors, stats } = setup();
    for (let i = 0; i < 5; i++) diagnostics.exchangeFailed("10.0.0.1:7946", undecryptable());
    diagnostics.exchangeFailed("10.0.0.2:7946", undecryptable());
    for (let i = 0; i < 50; i++) diagnostics.decryptFailed(undecryptable(), "10.0.0.3:7946", "datagram");
    assert.equal(errors().length, 3, "one per member and kind");
    assert.equal(stats.decryptFailuresTotal, 56);
    diagnostics.exchangeSucceeded("10.0.0.1:7946");
    diagnostics.exchangeFailed("10.0.0.1:7946", undecryptable());
    assert.equal(errors().length, 4);
  });

  it("keeps the latest unresolved exchange problem as lastJoinError, and drops it when an exchange works", async () => {
    const { diagnostics, scheduler } = setup();
    diagnostics.exchangeFailed("10.0.0.1:7946", undecryptable());
    await scheduler.runFor(10);
    diagnostics.exchangeFailed("10.0.0.2:7946", new DecodeError("garbage"));
    assert.equal(diagnostics.lastJoinError()?.seeds[0]?.address, "10.0.0.2:7946");
    assert.deepEqual(
      diagnostics.issues().map((i) => i.code),
      ["swim-gossip-key-mismatch", "swim-push-pull-failing"],
    );
    diagnostics.exchangeSucceeded("10.0.0.2:7946");
    diagnostics.exchangeSucceeded("10.0.0.1:7946");
    assert.equal(diagnostics.lastJoinError(), undefined);
    assert.deepEqual(diagnostics.issues(), []);
    assert.equal(diagnostics.keyMismatch(), false);
  });

  it("incoming gossip it cannot decrypt is a problem until a minute after the last of it", async () => {
    const { diagnostics, scheduler } = setup();
    diagnostics.decryptFailed(undecryptable(), "10.0.0.3:7946", "datagram");
    await scheduler.runFor(30_000);
    diagnostics.decryptFailed(undecryptable(), "10.0.0.3:7946", "stream");
    assert.equal(diagnostics.keyMismatch(), true);
    assert.match(diagnostics.issues()[0]?.message ?? "", /^2 stream\(s\) from 10\.0\.0\.3:7946 .*the gossip keys differ$/);
    assert.equal(diagnostics.issues()[0]?.since, 0, "since the first of the series");
    await scheduler.runFor(60_001);
    assert.equal(diagnostics.keyMismatch(), false);
  });
});
