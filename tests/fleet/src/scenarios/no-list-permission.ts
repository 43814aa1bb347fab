// (f) A VM whose service account lacks compute.instances.list: discovery fails with 403, the node says why in one
// log line and serves alone (local mode); the others find it on their next refresh, and their gossip brings it in.
import { FleetError, type InstanceSpec, machineVcpus, nodeViews } from "@cachecluster/testing/fleet";
import { FleetRun, type ScenarioResult, sleep, summarize } from "../fleet-run.js";
import type { Profile } from "../profiles.js";

export async function noListPermission(profile: Profile, log?: (line: string) => void): Promise<ScenarioResult> {
  const run = await FleetRun.start({ profile, kit: { SIZE: "3" }, ...(log === undefined ? {} : { log }) });
  try {
    await run.begin("steady: 3 VMs");
    await run.startLoad();
    await sleep(profile.steadyMs);
    await run.begin("a VM without compute.instances.list joins");
    const template = run.mig.template;
    const email = `cache-nolist@${run.fleet.project}.iam.gserviceaccount.com`;
    const spec: InstanceSpec = {
      name: "cache-nolist",
      zone: run.fleet.zones[0]!,
      machineType: template.machineType,
      vcpus: machineVcpus(template.machineType),
      tags: template.tags,
      labels: template.labels,
      metadata: template.metadata,
      serviceAccount: { email, scopes: ["https://www.googleapis.com/auth/cloud-platform"] },
      provisioningModel: "STANDARD",
    };
    const vm = await run.fleet.createVm(spec);
    const url = `http://${vm.ip}:${Number(template.metadata["cachecluster-cache-port"] ?? 9080)}`;
    const appUrl = `http://${vm.ip}:${Number(template.metadata["cachecluster-app-port"] ?? 8080)}`;
    await run.waitFor(
      `${vm.name} serves`,
      async () => (await nodeViews(run.fleet, [url]))[0]!.state === "listening",
      () => vm.describe(20),
    );
    await run.fleet.setBackend("standalone", [{ name: `${vm.name}/0`, url: appUrl }]);
    const ringMs = await run.ringSince(vm.journal[0]?.at ?? run.fleet.now(), () => run.nodeUrls([url]));
    await run.begin("steady: 4 VMs");
    await sleep(profile.steadyMs);
    const report = await run.stopLoad();
    // Discovery's first Compute call waits for its client in a worker thread, which may take longer than the
    // gossip of the peers that found this VM: wait for its answer before reading the log.
    await run.waitFor(
      `${vm.name}'s discovery failing`,
      () => vm.journal.some((e) => e.identifier === "cachecluster-0" && /Required 'compute\./.test(e.line)),
      () => vm.describe(20),
    );
    await sleep(profile.steadyMs);
    const worker = vm.journal.filter((e) => e.identifier === "cachecluster-0");
    // In region mode (the kit's) discovery's first Compute call is regions.get: the line names whichever
    // permission of roles/compute.viewer the account lacks first.
    const why = worker.filter((e) => /Required 'compute\.[a-zA-Z.]+' permission/.test(e.line));
    if (why.length !== 1)
      throw new FleetError(
        `expected one log line naming the missing Compute permission, got ${why.length}:\n${why.map((e) => e.line).join("\n")}\n${vm.describe(40)}`,
        {
          vm: vm.name,
          phase: "logs",
        },
      );
    const line = JSON.parse(why[0]!.line) as { severity?: string; message?: string };
    if (line.severity !== "WARNING") throw new FleetError(`the line is ${line.severity}, expected WARNING: ${why[0]!.line}`, { vm: vm.name, phase: "logs" });
    const serving = worker.find((e) => e.line.includes('"app: serving"'));
    const joined = worker.find((e) => e.line.includes('"message":"cachecluster: ring changed'));
    if (serving === undefined || joined === undefined || joined.at < serving.at) {
      throw new FleetError("expected the node to serve alone before it was joined", { vm: vm.name, phase: "logs" });
    }
    return summarize(
      "(f) VM without compute.instances.list",
      "3 VMs + 1 x 1 worker",
      report,
      await run.extraLoadsPerKey(),
      [{ after: "the VM booted", ms: ringMs }],
      [`served alone for ${((joined.at - serving.at) / 1000).toFixed(1)} s until a peer's discovery found it; its one line: ${line.message ?? ""}`],
    );
  } finally {
    await run.close();
  }
}
