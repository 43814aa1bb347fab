// (b) Autoscaling 3 -> 10 -> 3 VMs (`pnpm fleet`; smaller in the tests) under load: no get fails; one ring after each change.
import { FleetRun, type ScenarioResult, sleep, summarize } from "../fleet-run.js";
import type { Profile } from "../profiles.js";

export async function autoscale(profile: Profile, log?: (line: string) => void): Promise<ScenarioResult> {
  const [small, large] = profile.sizes.autoscale;
  const run = await FleetRun.start({ profile, kit: { SIZE: String(small) }, ...(log === undefined ? {} : { log }) });
  try {
    await run.begin(`steady: ${small} VMs`);
    await run.startLoad();
    await sleep(profile.steadyMs);
    await run.begin(`scale out: ${small} -> ${large}`);
    const out = run.fleet.now();
    run.mig.resize(large);
    await run.waitStable();
    const outMs = await run.ringSince(out);
    const lastBooted = Math.max(...run.mig.events.filter((e) => e.event === "created").map((e) => e.at));
    await run.begin(`steady: ${large} VMs`);
    await sleep(profile.steadyMs);
    await run.begin(`scale in: ${large} -> ${small}`);
    const inAt = run.fleet.now();
    run.mig.resize(small);
    await run.waitStable();
    const lastLeft = Math.max(...run.mig.events.filter((e) => e.event === "deleting" && e.at >= inAt).map((e) => e.at));
    const inMs = await run.ringSince(lastLeft);
    await run.begin(`steady: ${small} VMs again`);
    await sleep(profile.steadyMs);
    const report = await run.stopLoad();
    return summarize(
      `(b) autoscaling ${small} -> ${large} -> ${small}`,
      `${small} / ${large} / ${small} VMs x 1 worker`,
      report,
      await run.extraLoadsPerKey(),
      [
        { after: `the resize to ${large} (VMs boot)`, ms: outMs },
        { after: `the last of the ${large - small} VMs began to leave`, ms: inMs },
      ],
      [`the last VM booted ${((lastBooted - out) / 1000).toFixed(1)} s after the resize`],
    );
  } finally {
    await run.close();
  }
}
