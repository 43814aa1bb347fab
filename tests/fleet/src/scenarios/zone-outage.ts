// (c) A zone outage: every VM of one zone is lost at once (no shutdown script, packets dropped). No get fails
// for longer than the failure-detection window, and every survivor sees one ring again within it.
import { FleetError } from "@cachecluster/testing/fleet";
import { FleetRun, type ScenarioResult, sleep, summarize } from "../fleet-run.js";
import { type Profile, detectionWindowMs } from "../profiles.js";

export async function zoneOutage(profile: Profile, log?: (line: string) => void): Promise<ScenarioResult> {
  const size = profile.sizes.outage;
  const run = await FleetRun.start({ profile, kit: { SIZE: String(size) }, ...(log === undefined ? {} : { log }) });
  try {
    const fleet = run.shape();
    const zone = run.fleet.zones[0]!;
    const lost = run.mig.instances.filter((i) => i.zone === zone).map((i) => i.name);
    const survivors = run.mig.instances.filter((i) => i.zone !== zone);
    const survivorUrls = (): string[] => survivors.flatMap((i) => run.mig.ports(i).cache.map((port) => `http://${i.vm!.ip}:${port}`));
    const window = detectionWindowMs(profile, survivorUrls().length + lost.length);
    await run.begin(`steady: ${size} VMs in 3 zones`);
    await run.startLoad();
    await sleep(profile.steadyMs);
    await run.begin(`zone ${zone} down (${lost.join(", ")})`);
    const down = run.fleet.now();
    await run.fleet.zoneOutage(zone);
    const ringMs = await run.ringSince(down, survivorUrls);
    const rest = Math.max(0, window - (run.fleet.now() - down));
    await sleep(rest + profile.steadyMs);
    await run.begin(`steady: ${survivors.length} VMs`);
    await sleep(profile.steadyMs);
    const report = await run.stopLoad();
    // Failures by when their get was sent, relative to the outage: gets in flight at the outage may fail (up to
    // the load balancer's timeout before it), and gets sent until the health check took the lost VMs out.
    const index = report.phases.findIndex((p) => p.phase.startsWith(`zone ${zone} down`));
    const startOf = (i: number): number => report.phases.slice(0, i).reduce((a, p) => a + p.durationMs, 0);
    const outageAt = startOf(index);
    let first = Infinity;
    let last = -Infinity;
    report.phases.forEach((p, i) => {
      if (p.firstFailureAt !== null) first = Math.min(first, startOf(i) + p.firstFailureAt - outageAt);
      if (p.lastFailureAt !== null) last = Math.max(last, startOf(i) + p.lastFailureAt - outageAt);
    });
    const failed = report.phases.reduce((a, p) => a + p.failed, 0);
    const during = report.phases[index]!;
    if (failed > 0 && (first < -profile.load.timeoutMs || last > window)) {
      const sample = report.phases.flatMap((p) => p.failures).slice(0, 3);
      throw new FleetError(
        `gets sent from ${first} ms to ${last} ms after the outage failed; expected none sent before the outage's in-flight gets (${-profile.load.timeoutMs} ms) or after the detection window (${window} ms): ${JSON.stringify(sample)}`,
        { phase: during.phase },
      );
    }
    if (ringMs > window) throw new FleetError(`one ring only after ${ringMs} ms, past the detection window of ${window} ms`, { phase: during.phase });
    return summarize(
      `(c) zone outage (${lost.length} of ${size} VMs)`,
      fleet,
      report,
      await run.extraLoadsPerKey(),
      [{ after: `the outage (window ${(window / 1000).toFixed(1)} s)`, ms: ringMs }],
      [
        failed === 0
          ? "no get failed"
          : `${failed} gets failed, sent from ${first} ms to ${last} ms after the outage (detection window ${window} ms): in flight to the lost VMs, or sent to them before the health check took them out`,
      ],
    );
  } finally {
    await run.close();
  }
}
