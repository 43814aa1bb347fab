// (a) A rolling replace of all VMs (6 in `pnpm fleet`) (update-fleet.sh: a new template, maxSurge = the number of zones,
// maxUnavailable 0) under load: no get fails.
import { FleetError, kitSpec, replayKit, startKitUpdate } from "@cachecluster/testing/fleet";
import { FleetRun, type ScenarioResult, sleep, summarize } from "../fleet-run.js";
import type { Profile } from "../profiles.js";

export async function rollingReplace(profile: Profile, log?: (line: string) => void): Promise<ScenarioResult> {
  const size = profile.sizes.rolling;
  const run = await FleetRun.start({ profile, kit: { SIZE: String(size) }, ...(log === undefined ? {} : { log }) });
  try {
    const fleet = run.shape();
    await run.begin(`steady: ${size} VMs on cache-v1`);
    await run.startLoad();
    await sleep(profile.steadyMs);
    await run.begin("rolling replace: cache-v1 -> cache-v2");
    const old = new Set(run.mig.instances.map((i) => i.name));
    const update = kitSpec(await replayKit("update-fleet.sh", { ...run.env, VERSION: "v2" }));
    startKitUpdate(run.mig, update);
    await run.waitStable();
    const lastLeft = Math.max(...run.mig.events.filter((e) => e.event === "deleting" && old.has(e.instance)).map((e) => e.at));
    const ringMs = await run.ringSince(lastLeft);
    const stale = run.mig.instances.filter((i) => old.has(i.name) || i.template.name !== "cache-v2");
    if (stale.length > 0) throw new FleetError(`instances not replaced: ${stale.map((i) => i.name).join(", ")}`, { phase: run.phase });
    await run.begin(`steady: ${size} VMs on cache-v2`);
    await sleep(profile.steadyMs);
    const report = await run.stopLoad();
    const policy = update.updates[0]!.policy;
    return summarize(
      `(a) rolling replace of ${size} VMs`,
      fleet,
      report,
      await run.extraLoadsPerKey(),
      [{ after: "the last old VM began to leave", ms: ringMs }],
      [`maxSurge ${policy.maxSurge}, maxUnavailable ${policy.maxUnavailable} (a regional MIG over 3 zones takes 0 or >= 3)`],
    );
  } finally {
    await run.close();
  }
}
