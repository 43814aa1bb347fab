// The deployment kit (deploy/gce) on its own: shellcheck, what its gcloud scripts create (replayed with the
// recording gcloud, no root needed), and the startup script's heap sizing.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { REPO_ROOT } from "../src/paths.js";
import { KIT_DIR, VM_SHIMS, execArgv, kitSpec, parseEnvironmentFile, parseUnitFile, replayKit } from "@cachecluster/testing/fleet";

const run = promisify(execFile);
const ENV = { PROJECT: "my-project", CLUSTER: "web-cache", SIZE: "6", MACHINE_TYPE: "e2-standard-4" };
const HOST_SHIMS = join(VM_SHIMS, "../host");

describe("deployment kit", () => {
  it("every shell script of the kit, of the simulator's shims and scripts/setup.sh passes shellcheck", async () => {
    const scripts = [
      ...readdirSync(KIT_DIR)
        .filter((f) => f.endsWith(".sh"))
        .map((f) => join(KIT_DIR, f)),
      ...readdirSync(VM_SHIMS).map((f) => join(VM_SHIMS, f)),
      ...readdirSync(HOST_SHIMS).map((f) => join(HOST_SHIMS, f)),
      join(REPO_ROOT, "scripts/setup.sh"),
    ];
    assert.ok(scripts.length >= 8, `found only ${scripts.join(", ")}`);
    try {
      await run("shellcheck", ["--external-sources", "--severity=style", ...scripts], { cwd: KIT_DIR });
    } catch (error) {
      const e = error as { code?: string; stdout?: string; message: string };
      assert.fail(e.code === "ENOENT" ? "shellcheck is not installed: run scripts/setup.sh" : `shellcheck found problems:\n${e.stdout ?? e.message}`);
    }
  });

  it("create-fleet.sh grants the nodes' service account roles/compute.viewer and opens the cluster's ports to its own tag only", async () => {
    const spec = kitSpec(await replayKit("create-fleet.sh", ENV));
    assert.deepEqual(spec.serviceAccounts, ["web-cache-node@my-project.iam.gserviceaccount.com"]);
    assert.ok(spec.bindings.some((b) => b.member === "serviceAccount:web-cache-node@my-project.iam.gserviceaccount.com" && b.role === "roles/compute.viewer"));
    const byName = new Map(spec.firewall.map((r) => [r.name, r]));
    const gossip = byName.get("web-cache-gossip")!;
    assert.deepEqual(
      gossip.rules.map((r) => `${r.protocol}:${r.ports.join(",")}`),
      ["tcp:7946-7953", "udp:7946-7953"],
    );
    assert.deepEqual([gossip.sourceTags, gossip.targetTags, gossip.sourceRanges], [["web-cache"], ["web-cache"], []]);
    const peers = byName.get("web-cache-peers")!;
    assert.deepEqual(
      [peers.rules[0]!.protocol, peers.rules[0]!.ports, peers.sourceTags, peers.targetTags],
      ["tcp", ["9080-9087"], ["web-cache"], ["web-cache"]],
    );
    for (const rule of spec.firewall) assert.deepEqual(rule.targetTags, ["web-cache"], `${rule.name} must target the cluster's tag only`);
    for (const rule of spec.firewall.filter((r) => r.sourceRanges.length > 0)) {
      assert.deepEqual(rule.sourceRanges, ["35.191.0.0/16", "130.211.0.0/22"], `${rule.name}: only Google's health checkers and load balancers`);
    }
  });

  it("create-fleet.sh makes a template with the tag, the [meta] attribute, the scripts and the unit, and a regional MIG with a /readyz health check and autohealing", async () => {
    const spec = kitSpec(await replayKit("create-fleet.sh", ENV));
    const template = spec.templates.get("web-cache-v1")!;
    assert.deepEqual(template.tags, ["web-cache"]);
    assert.equal(template.machineType, "e2-standard-4");
    assert.equal(template.metadata["cachecluster-cluster"], "web-cache");
    assert.equal(template.metadata["startup-script"], readFileSync(join(KIT_DIR, "startup-script.sh"), "utf8"));
    assert.equal(template.metadata["shutdown-script"], readFileSync(join(KIT_DIR, "shutdown-script.sh"), "utf8"));
    assert.equal(template.metadata["cachecluster-unit"], readFileSync(join(KIT_DIR, "cachecluster@.service"), "utf8"));
    assert.equal(template.serviceAccount?.email, "web-cache-node@my-project.iam.gserviceaccount.com");
    const [mig] = spec.migs;
    assert.deepEqual(
      { name: mig?.name, region: mig?.region, zones: mig?.zones, size: mig?.size, hc: mig?.healthCheck, delay: mig?.initialDelayMs },
      {
        name: "web-cache-mig",
        region: "us-central1",
        zones: ["us-central1-a", "us-central1-b", "us-central1-c"],
        size: 6,
        hc: "web-cache-readyz",
        delay: 120_000,
      },
    );
    const hc = spec.healthChecks.get("web-cache-readyz")!;
    assert.deepEqual([hc.port, hc.requestPath], [9080, "/readyz"]);
  });

  it("create-fleet.sh makes Spot VMs that the MIG deletes on preemption when SPOT=true", async () => {
    const spec = kitSpec(await replayKit("create-fleet.sh", { ...ENV, SPOT: "true" }));
    assert.equal(spec.templates.get("web-cache-v1")?.provisioningModel, "SPOT");
  });

  it("update-fleet.sh rolls a new template out with maxSurge = the number of zones and maxUnavailable 0", async () => {
    const spec = kitSpec(await replayKit("update-fleet.sh", { ...ENV, VERSION: "v2" }));
    assert.deepEqual(spec.updates, [{ mig: "web-cache-mig", template: "web-cache-v2", policy: { maxSurge: 3, maxUnavailable: 0, minReadyMs: 10_000 } }]);
  });

  it("update-fleet.sh refuses maxSurge 1 on a 3-zone regional MIG, which GCE would reject", async () => {
    await assert.rejects(
      replayKit("update-fleet.sh", { ...ENV, VERSION: "v2", MAX_SURGE: "1" }),
      /MAX_SURGE and MAX_UNAVAILABLE must be 0 or at least the number of zones \(3\), got '1'/,
    );
  });

  it("the startup script sizes the V8 heap from the cache budget: 1.35 x the budget plus the Compute client's and the app's heap, in 64 MiB steps", async () => {
    const { stdout } = await run("bash", ["-c", `source ${join(KIT_DIR, "startup-script.sh")}; heap_mib 1024 128; heap_mib 256 128; heap_mib 8 16`]);
    // 1024 x 1.35 = 1382 + 160 + 128 = 1670 -> 1728; 256 x 1.35 = 345 + 288 = 633 -> 640; 10 + 176 = 186 -> 192.
    assert.deepEqual(stdout.trim().split("\n"), ["1728", "640", "192"]);
  });

  it("the startup and shutdown scripts ask GCE_METADATA_HOST when set, and off Compute Engine without it ask no one", async () => {
    // Each script is a metadata value of its own, so each carries the function: the two copies stay the same.
    const functionOf = (script: string): string => /^metadata_host\(\) \{\n[\s\S]*?\n\}$/m.exec(readFileSync(join(KIT_DIR, script), "utf8"))?.[0] ?? "";
    assert.notEqual(functionOf("startup-script.sh"), "");
    assert.equal(functionOf("shutdown-script.sh"), functionOf("startup-script.sh"));
    const dir = mkdtempSync(join(tmpdir(), "kit-dmi-"));
    const notGce = join(dir, "product_name");
    writeFileSync(notGce, "Standard PC (Q35 + ICH9, 2009)\n");
    try {
      for (const script of ["startup-script.sh", "shutdown-script.sh"]) {
        // The shutdown script runs at once when sourced: only its function is taken out of it.
        const define =
          script === "startup-script.sh" ? `source ${join(KIT_DIR, script)}` : `eval "$(sed -n '/^metadata_host() {/,/^}/p' ${join(KIT_DIR, script)})"`;
        const fake = await run("bash", ["-c", `${define}; metadata_host ${notGce}`], { env: { PATH: process.env.PATH, GCE_METADATA_HOST: "127.0.0.9:8080" } });
        assert.equal(fake.stdout.trim(), "127.0.0.9:8080", script);
        const off = await run("bash", ["-c", `${define}; if metadata_host ${notGce}; then echo asked; else echo "status $?"; fi`], {
          env: { PATH: process.env.PATH },
        });
        assert.equal(off.stdout.trim(), "status 1", script);
        assert.match(off.stderr, /not a Compute Engine VM and GCE_METADATA_HOST is unset/, script);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the unit runs /usr/bin/node with the worker's heap size and app from its environment file", () => {
    const unit = parseUnitFile(readFileSync(join(KIT_DIR, "cachecluster@.service"), "utf8"), "cachecluster@2.service");
    const service = unit.get("Service")!;
    assert.deepEqual(service.get("EnvironmentFile"), ["/etc/cachecluster/worker-2.env", "-/etc/cachecluster/app.env", "-/etc/cachecluster/secrets.env"]);
    assert.deepEqual(service.get("SyslogIdentifier"), ["cachecluster-2"]);
    const env = parseEnvironmentFile("NODE_HEAP_MIB=640\nAPP_ENTRY=/opt/cachecluster-app/server.js\n");
    assert.deepEqual(execArgv(service.get("ExecStart")![0]!, env), ["/usr/bin/node", "--max-old-space-size=640", "/opt/cachecluster-app/server.js"]);
    assert.deepEqual([service.get("Restart"), service.get("KillSignal"), service.get("TimeoutStopSec")], [["always"], ["SIGTERM"], ["20"]]);
  });
});
