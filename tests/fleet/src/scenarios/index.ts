import type { ScenarioResult } from "../fleet-run.js";
import type { Profile } from "../profiles.js";
import { autoscale } from "./autoscale.js";
import { noListPermission } from "./no-list-permission.js";
import { rollingReplace } from "./rolling-replace.js";
import { spotPreemption } from "./spot-preemption.js";
import { udpBlocked } from "./udp-blocked.js";
import { zoneOutage } from "./zone-outage.js";

export type Scenario = (profile: Profile, log?: (line: string) => void) => Promise<ScenarioResult>;

/** Every scenario of issue 15, by its letter. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  a: rollingReplace,
  b: autoscale,
  c: zoneOutage,
  d: spotPreemption,
  e: udpBlocked,
  f: noListPermission,
};
