// (d) A Spot VM preempted: its 30 s notice (instance/preempted TRUE, the shutdown script, SIGTERM), then it is
// gone and the MIG recreates it. No get fails; the survivors see one ring as soon as it leaves.
import { FleetError } from "@cachecluster/testing/fleet";
import { FleetRun, type ScenarioResult, sleep, summarize } from "../fleet-run.js";
import type { Profile } from "../profiles.js";

export async function spotPreemption(profile: Profile, log?: (line: string) => void): Promise<ScenarioResult> {
  const run = await FleetRun.start({ profile, kit: { SIZE: "3", SPOT: "true" }, ...(log === undefined ? {} : { log }) });
  try {
    const fleet = run.shape();
    const victim = run.mig.instances[0]!;
    const oldVm = victim.vm!;
    const others = run.mig.instances.filter((i) => i !== victim);
    const otherUrls = (): string[] => others.flatMap((i) => run.mig.ports(i).cache.map((port) => `http://${i.vm!.ip}:${port}`));
    await run.begin("steady: 3 Spot VMs");
    await run.startLoad();
    await sleep(profile.steadyMs);
    await run.begin(`${victim.name} preempted (${profile.timings.preemptionWindowMs} ms notice)`);
    const at = run.fleet.now();
    const preemption = run.mig.preempt(victim.name);
    const leftMs = await run.ringSince(at, otherUrls);
    await preemption;
    if (victim.lastError !== null) throw new FleetError(`recreating the preempted VM failed: ${victim.lastError}`, { vm: victim.name, phase: run.phase });
    await run.waitStable();
    const backMs = await run.ringSince(at);
    await run.begin("steady: 3 Spot VMs again");
    await sleep(profile.steadyMs);
    const report = await run.stopLoad();
    const script = oldVm.journal.filter((e) => e.identifier === "google_metadata_script_runner" && e.line.startsWith("shutdown-script:")).map((e) => e.line);
    if (!script.some((l) => l.includes("preempted: TRUE")))
      throw new FleetError(`the shutdown script did not see the preemption: ${script.join(" | ")}`, { vm: victim.name, phase: "preemption" });
    const stopped = script.find((l) => l.includes("workers stopped after")) ?? "cut off by the power-off before the workers had stopped (they were killed)";
    return summarize(
      "(d) Spot VM preempted",
      fleet,
      report,
      await run.extraLoadsPerKey(),
      [
        { after: "the preemption notice (survivors)", ms: leftMs },
        { after: "the preemption notice (recreated VM joined)", ms: backMs },
      ],
      [`shutdown script: ${stopped.replace(/^shutdown-script: /, "")}, within the ${profile.timings.preemptionWindowMs} ms notice`],
    );
  } finally {
    await run.close();
  }
}
