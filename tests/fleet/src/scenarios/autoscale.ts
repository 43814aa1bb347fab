// (b) Autoscaling 3 -> 10 -> 3 VMs under load: no get fails; one ring after each change.
import { FleetRun, type ScenarioResult, sleep, summarize } from "../fleet-run.js";
import type { Profile } from "../profiles.js";

export async function autoscale(profile: Profile, log?: (line: string) => void): Promise<ScenarioResult> {
  const run = await FleetRun.start({ profile, kit: { SIZE: "3" }, ...(log === undefined ? {} : { log }) });
  try {
    await run.begin("steady: 3 VMs");
    await run.startLoad();
    await sleep(profile.steadyMs);
    await run.begin("scale out: 3 -> 10");
    const out = run.fleet.now();
    run.mig.resize(10);
    await run.waitStable();
    const outMs = await run.ringSince(out);
    const lastBooted = Math.max(...run.mig.events.filter((e) => e.event === "created").map((e) => e.at));
    await run.begin("steady: 10 VMs");
    await sleep(profile.steadyMs);
    await run.begin("scale in: 10 -> 3");
    const inAt = run.fleet.now();
    run.mig.resize(3);
    await run.waitStable();
    const lastLeft = Math.max(...run.mig.events.filter((e) => e.event === "deleting" && e.at >= inAt).map((e) => e.at));
    const inMs = await run.ringSince(lastLeft);
    await run.begin("steady: 3 VMs again");
    await sleep(profile.steadyMs);
    const report = await run.stopLoad();
    return summarize(
      "(b) autoscaling 3 -> 10 -> 3",
      "3 / 10 / 3 VMs x 1 worker",
      report,
      await run.extraLoadsPerKey(),
      [
        { after: "the resize to 10 (VMs boot)", ms: outMs },
        { after: "the last of the 7 VMs began to leave", ms: inMs },
      ],
      [`the 10th VM booted ${((lastBooted - out) / 1000).toFixed(1)} s after the resize`],
    );
  } finally {
    await run.close();
  }
}
