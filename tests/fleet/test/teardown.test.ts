import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { Fleet, listNamespaces, namespacePids } from "@cachecluster/testing/fleet";
import { skipFleet } from "./helpers/scenario-test.js";

const CHILD = fileURLToPath(new URL("./helpers/fleet-child.js", import.meta.url));

/** True when the process is gone or a zombie (killed, not yet reaped by init). */
function gone(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

describe("fleet teardown", { skip: skipFleet }, () => {
  it("destroy() deletes every namespace, process and file of the fleet", async () => {
    const fleet = await Fleet.create({ opt: {}, timings: { shutdownWindowMs: 1000, preemptionWindowMs: 1000 } });
    const vm = await fleet.createVm({
      name: "vm-1",
      zone: "us-central1-a",
      machineType: "e2-small",
      vcpus: 2,
      tags: [],
      labels: {},
      metadata: { "startup-script": "#!/bin/bash\nsetsid sleep 600 </dev/null >/dev/null 2>&1 &\n" },
      serviceAccount: null,
      provisioningModel: "STANDARD",
    });
    await vm.startupDone;
    const namespaces = fleet.network.namespaces();
    const pids = namespaces.flatMap((ns) => namespacePids(ns));
    assert.ok(pids.length >= 3, `expected the VM's init, the left-over sleep and the load balancer, found pids ${pids.join(", ")}`);
    await fleet.destroy();
    assert.deepEqual(
      listNamespaces().filter((n) => namespaces.includes(n)),
      [],
    );
    assert.deepEqual(
      pids.filter((p) => !gone(p)),
      [],
    );
    assert.equal(existsSync(fleet.dir), false, `${fleet.dir} is left behind`);
  });

  it("SIGINT to the process that owns a fleet deletes every namespace, process and file of it before the process ends", async () => {
    const child = spawn(process.execPath, [CHILD], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
    const report = await new Promise<{ prefix: string; dir: string; namespaces: string[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the fleet child did not report within 60 s: ${stderr}`)), 60_000);
      createInterface({ input: child.stdout }).once("line", (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { prefix: string; dir: string; namespaces: string[] });
      });
      child.once("exit", () => reject(new Error(`the fleet child exited early: ${stderr}`)));
    });
    const pids = report.namespaces.flatMap((ns) => namespacePids(ns));
    assert.ok(pids.length >= 3, `expected processes in the fleet's namespaces, found ${pids.join(", ")}`);
    child.kill("SIGINT");
    assert.equal(await exited, "SIGINT", "the child should end by the signal, after its cleanup");
    assert.deepEqual(
      listNamespaces().filter((n) => n.startsWith(`${report.prefix}-`)),
      [],
    );
    assert.deepEqual(
      pids.filter((p) => !gone(p)),
      [],
    );
    assert.equal(existsSync(report.dir), false);
    assert.equal(existsSync(join(report.dir, "image-opt")), false);
  });
});
