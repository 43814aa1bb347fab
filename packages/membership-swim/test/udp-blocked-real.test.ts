import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "fixtures/udp-blocked-cluster.js");
/** Drop every UDP datagram on arrival (a firewall that lets only TCP through), in the namespace it runs in. */
const RULES = "add table inet swimtest; add chain inet swimtest in { type filter hook input priority 0; }; add rule inet swimtest in meta l4proto udp drop";

function available(): string | false {
  if (spawnSync("sh", ["-c", "command -v nft"]).status !== 0) return "nft (nftables) is not installed";
  if (spawnSync("unshare", ["-n", "sh", "-c", `nft '${RULES}'`]).status !== 0) return "cannot create a network namespace with nftables rules (needs root)";
  return false;
}

/** Run the fixture in a fresh network namespace whose nftables drop all UDP; resolves with its JSON line. */
function runBlocked(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", ["-n", "sh", "-c", `ip link set lo up && nft '${RULES}' && exec "${process.execPath}" "${fixture}"`], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`fixture exited with ${code}: ${out}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>);
    });
  });
}

describe("UDP dropped by nftables between real members on loopback, TCP open", { skip: available() }, () => {
  it("members join, converge and hold over TCP alone, report UDP as unreachable, and still fail a member that vanishes", async () => {
    const r = await runBlocked();
    assert.deepEqual(r.joined, [1, 1]);
    assert.equal(r.converged, true, `converged after ${String(r.convergedMs)} ms`);
    assert.deepEqual(r.heldFails, [], "no member was declared failed while UDP was blocked");
    assert.equal(r.held, true, "every member still saw all three after 4 s");
    for (const s of r.stats as { udpUnreachable: number; tcpFallbackSuccessesTotal: number }[]) {
      assert.equal(s.udpUnreachable, 1, JSON.stringify(r.stats));
      assert.ok(s.tcpFallbackSuccessesTotal > 0);
    }
    assert.ok(
      (r.issues as string[][]).every((codes) => codes.includes("swim-udp-unreachable")),
      JSON.stringify(r.issues),
    );
    assert.equal(r.detected, true, `a vanished member is failed over TCP too (${String(r.detectedMs)} ms)`);
  });
});
