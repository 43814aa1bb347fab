// Timings of a fleet run. `test` shortens every period so the scenarios fit the test suite; `real` is what a
// production fleet would use (memberlist's LAN timings, GCE's shutdown windows, a 60 s discovery refresh, the
// kit's health-check defaults), for `pnpm fleet`.
import type { FleetTimings, LoadOptions } from "@cachecluster/testing/fleet";

export interface Profile {
  readonly name: "test" | "real";
  /** Settings for the kit's scripts (lib.sh): timings of the cluster, the health check, updates. */
  readonly kit: Readonly<Record<string, string>>;
  /** The app's environment (the instance template's cachecluster-app-env). */
  readonly appEnv: Readonly<Record<string, string>>;
  readonly timings: FleetTimings;
  readonly load: Pick<LoadOptions, "rate" | "concurrency" | "keys" | "zipfS" | "timeoutMs">;
  /** How long the load runs before and after a disruption. */
  readonly steadyMs: number;
  /**
   * Fleet sizes: (a) VMs replaced, (b) autoscaling from `autoscale[0]` to `autoscale[1]` and back, (c) VMs over the 3
   * zones. `real` has the (6; 3 -> 10 -> 3; 6); `test` smaller ones, as every VM boots a node process
   * and the suite runs on 2 cores.
   */
  readonly sizes: { readonly rolling: number; readonly autoscale: readonly [number, number]; readonly outage: number };
  /** The longest wait for the fleet to converge (VMs booting on a loaded machine included). */
  readonly waitMs: number;
  /** SWIM's timings, for the failure-detection window. */
  readonly swim: {
    readonly probeIntervalMs: number;
    readonly probeTimeoutMs: number;
    readonly suspicionMult: number;
    readonly suspicionMaxTimeoutMult: number;
  };
}

export const TEST_PROFILE: Profile = {
  name: "test",
  kit: {
    HEARTBEAT_MS: "200",
    REFRESH_MS: "1000",
    PEER_TIMEOUT_MS: "500",
    // Generous for a loaded test machine, where a booting node's event loop stalls for seconds.
    CHECK_INTERVAL: "2s",
    CHECK_TIMEOUT: "2s",
    HEALTHY_THRESHOLD: "1",
    UNHEALTHY_THRESHOLD: "3",
    INITIAL_DELAY: "60",
    MIN_READY: "0s",
  },
  appEnv: {
    SWIM_OPTIONS: JSON.stringify({ probeTimeoutMs: 100, gossipIntervalMs: 100, pushPullIntervalMs: 3000, leaveTimeoutMs: 500, tcpTimeoutMs: 2000 }),
    STOP_TIMEOUT_MS: "4000",
  },
  // GCE's 90 s and 30 s, shortened 15x.
  timings: { shutdownWindowMs: 6000, preemptionWindowMs: 2000 },
  // concurrency: every get of 5 s in flight at once, so gets hung on a lost VM never hold the others back.
  load: { rate: 60, concurrency: 300, keys: 1000, zipfS: 1.1, timeoutMs: 5000 },
  steadyMs: 2000,
  sizes: { rolling: 3, autoscale: [3, 6], outage: 3 },
  waitMs: 120_000,
  swim: { probeIntervalMs: 200, probeTimeoutMs: 100, suspicionMult: 4, suspicionMaxTimeoutMult: 6 },
};

export const REAL_PROFILE: Profile = {
  name: "real",
  kit: {
    HEARTBEAT_MS: "1000",
    REFRESH_MS: "60000",
    PEER_TIMEOUT_MS: "2000",
    CHECK_INTERVAL: "5s",
    CHECK_TIMEOUT: "5s",
    HEALTHY_THRESHOLD: "2",
    UNHEALTHY_THRESHOLD: "3",
    INITIAL_DELAY: "120",
    MIN_READY: "10s",
  },
  appEnv: { STOP_TIMEOUT_MS: "15000" },
  timings: { shutdownWindowMs: 90_000, preemptionWindowMs: 30_000 },
  load: { rate: 200, concurrency: 2000, keys: 5000, zipfS: 1.1, timeoutMs: 10_000 },
  steadyMs: 10_000,
  sizes: { rolling: 6, autoscale: [3, 10], outage: 6 },
  waitMs: 300_000,
  swim: { probeIntervalMs: 1000, probeTimeoutMs: 500, suspicionMult: 4, suspicionMaxTimeoutMult: 6 },
};

/**
 * How long SWIM may take to declare a crashed member dead everywhere: a probe round, the probe timeout and
 * Lifeguard's longest suspicion (suspicionMult x max(1, log10 n) periods, stretched by suspicionMaxTimeoutMult
 * when nobody confirms), plus the health check's ejection from the load balancer, whichever is longer.
 */
export function detectionWindowMs(profile: Profile, members: number): number {
  const s = profile.swim;
  const scale = Math.max(1, Math.log10(Math.max(1, members)));
  const swim = s.probeIntervalMs + s.probeTimeoutMs + s.suspicionMult * scale * s.probeIntervalMs * s.suspicionMaxTimeoutMult;
  const seconds = (v: string | undefined): number => Number((v ?? "5s").replace(/s$/, "")) * 1000;
  const healthCheck = seconds(profile.kit.CHECK_INTERVAL) * Number(profile.kit.UNHEALTHY_THRESHOLD ?? 2) + seconds(profile.kit.CHECK_TIMEOUT);
  return Math.round(Math.max(swim, healthCheck));
}
