// (e) A firewall that lets TCP through between the VMs but not UDP: the cluster still forms, over memberlist's
// TCP fallback probes and push/pull, and each node's status page shows it. Two vCPUs per VM (WORKERS=auto): two
// worker processes on every VM, all in one cluster.
// Taking udp out of the kit's ingress gossip rule is not enough on GCE: the firewall is stateful, memberlist
// sends from and to the same port, so once two VMs have both sent, each one's datagrams pass the other's
// ingress as replies (the simulator showed every node receiving gossip that way). The block that holds is an
// egress DENY for UDP inside the subnet, as an organisation's firewall policy would have.
import { FleetError, type NodeView, OBSERVER_ADDRESS, UDP_IN, nodeViews } from "@cachecluster/testing/fleet";
import { FleetRun, type ScenarioResult, sleep, summarize } from "../fleet-run.js";
import type { Profile } from "../profiles.js";

export async function udpBlocked(profile: Profile, log?: (line: string) => void): Promise<ScenarioResult> {
  const run = await FleetRun.start({
    profile,
    kit: { SIZE: "3", MACHINE_TYPE: "e2-standard-2", WORKERS: "auto" },
    firewall: (spec) => [
      ...spec.firewall.map((rule) => (rule.name.endsWith("-gossip") ? { ...rule, rules: rule.rules.filter((r) => r.protocol !== "udp") } : rule)),
      {
        name: "deny-udp-in-subnet",
        direction: "EGRESS",
        action: "DENY",
        priority: 900,
        rules: [{ protocol: "udp", ports: [] }],
        sourceRanges: [],
        sourceTags: [],
        destinationRanges: ["10.128.0.0/20"],
        targetTags: [],
      },
    ],
    ...(log === undefined ? {} : { log }),
  });
  try {
    const fleet = run.shape();
    const lastBoot = Math.max(...run.mig.events.filter((e) => e.event === "created").map((e) => e.at));
    const ringMs = await run.ringSince(lastBoot);
    const gossip = run.fleet.firewall.find((r) => r.name.endsWith("-gossip"));
    if (gossip === undefined || gossip.rules.some((r) => r.protocol === "udp")) throw new FleetError("the gossip rule still allows UDP", { phase: run.phase });
    await run.begin("steady: UDP blocked between VMs");
    await run.startLoad();
    await sleep(profile.steadyMs);
    // Every node has reached others by TCP fallback probes and received no gossip datagram.
    let views: NodeView[] = [];
    await run.waitFor(
      "every node reports TCP fallback probes",
      async () => {
        views = await nodeViews(run.fleet, run.nodeUrls());
        return views.every((v) => (v.membershipStats.tcpFallbackSuccessesTotal ?? 0) > 0);
      },
      () => views.map((v) => `  ${v.url}: ${JSON.stringify(v.membershipStats)}`).join("\n"),
      profile.waitMs / 3,
    );
    // No datagram crossed between VMs (the workers of one VM still talk UDP over loopback), and every VM tried.
    const counters = await Promise.all(run.fleet.running().map(async (vm) => ({ vm: vm.name, n: await run.fleet.firewallCounters(vm.name) })));
    for (const { vm, n } of counters) {
      if ((n[UDP_IN] ?? 0) > 0) throw new FleetError(`${n[UDP_IN]} UDP packets arrived from the network`, { vm, phase: run.phase });
      if ((n["deny-udp-in-subnet"] ?? 0) === 0)
        throw new FleetError("no UDP was sent to (and stopped for) another VM: the scenario tested nothing", { vm, phase: run.phase });
    }
    // The status page says so: membership's problem line (SWIM's diagnose()) names UDP as blocked.
    let problem = "";
    await run.waitFor(
      "the status page names UDP as blocked",
      async () => {
        const page = await run.fleet.lb.probe([`${run.nodeUrls()[0]!}/_cachecluster/status`], 5_000, OBSERVER_ADDRESS);
        const match = /<p class="problem" data-problem="membership">([^<]*)<\/p>/.exec(page[0]?.body ?? "");
        problem = match?.[1] ?? "";
        return /UDP[^.]*looks blocked/.test(problem);
      },
      () => `membership's problem on the status page: ${problem || "(none)"}`,
      profile.waitMs / 3,
    );
    const report = await run.stopLoad();
    const fallbacks = views.map((v) => v.membershipStats.tcpFallbackSuccessesTotal ?? 0);
    return summarize(
      "(e) UDP blocked, TCP open",
      fleet,
      report,
      await run.extraLoadsPerKey(),
      [{ after: "the last VM booted", ms: ringMs }],
      [
        `every VM: 0 datagrams from other VMs (${Math.min(...counters.map((c) => c.n["deny-udp-in-subnet"] ?? 0))}+ stopped on the way out each); every node: ${Math.min(...fallbacks)}-${Math.max(...fallbacks)} probes answered over TCP (tcpFallbackSuccessesTotal); status page: ${problem}`,
      ],
    );
  } finally {
    await run.close();
  }
}
