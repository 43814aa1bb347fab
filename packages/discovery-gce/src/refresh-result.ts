import type { DiscoveredPeer } from "@cachecluster/core";
import { type InstanceCriteria, matchInstance } from "./match-instance.js";

/** Why a listed instance was not taken: the first criterion it failed, in the order they are checked. */
export type RemovedBy = "status" | "zone" | "labels" | "tags" | "metadata";

const EXAMPLES = 3;

/** What one refresh saw: how many instances the list calls returned and which filter removed how many. */
export interface RefreshResult {
  /** Instances the list calls returned (the server-side filter, `status = RUNNING` and labels, applied). */
  readonly listed: number;
  /** Peers found (instances that matched, one per IP). */
  readonly matched: number;
  /** Listed instances each client-side criterion removed (only the first one an instance failed counts). */
  readonly removed: Readonly<Record<RemovedBy, number>>;
  /** Instances that matched but could not be used (no name, no usable interface or IP). */
  readonly unusable: number;
  /** The unusable ones by problem, with a few instance names each. */
  readonly problems: readonly { readonly group: string; readonly count: number; readonly examples: readonly string[] }[];
}

/** Matches every listed instance; the peers sorted by name, and the tally of what was removed and why. */
export function matchAll(raw: readonly unknown[], criteria: InstanceCriteria): { peers: DiscoveredPeer[]; result: RefreshResult } {
  const byHost = new Map<string, DiscoveredPeer>();
  const removed: Record<RemovedBy, number> = { status: 0, zone: 0, labels: 0, tags: 0, metadata: 0 };
  const problems = new Map<string, { group: string; count: number; examples: string[] }>();
  let unusable = 0;
  for (const instance of raw) {
    const r = matchInstance(instance, criteria);
    if (r.ok) {
      if (!byHost.has(r.peer.host)) byHost.set(r.peer.host, r.peer);
    } else if ("skip" in r) {
      removed[r.skip] += 1;
    } else {
      unusable += 1;
      const entry = problems.get(r.group) ?? { group: r.group, count: 0, examples: [] };
      entry.count += 1;
      if (entry.examples.length < EXAMPLES) entry.examples.push(r.name);
      problems.set(r.group, entry);
    }
  }
  const peers = [...byHost.values()].sort((a, b) => ((a.name ?? "") < (b.name ?? "") ? -1 : (a.name ?? "") > (b.name ?? "") ? 1 : 0));
  return { peers, result: { listed: raw.length, matched: peers.length, removed, unusable, problems: [...problems.values()] } };
}

/** One line for the unusable instances of a refresh, or undefined when there were none. */
export function summarizeUnusable(result: RefreshResult): string | undefined {
  if (result.unusable === 0) return undefined;
  const parts = result.problems.map((p) => `${p.count} ${p.group} (e.g. ${p.examples.join(", ")})`);
  return `skipping ${result.unusable} of ${result.listed} listed instance(s) that match but cannot be used: ${parts.join("; ")}`;
}

/** What was listed where, for the explanation: zones or region, and the criteria. */
export interface ExplainContext {
  readonly zones: readonly string[];
  readonly region: string | undefined;
  readonly criteria: InstanceCriteria;
  /** This instance's name, where known. */
  readonly selfName: string | undefined;
}

function entries(record: Readonly<Record<string, string>>): string {
  return Object.entries(record)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/**
 * Why a refresh leaves this node alone (no peer, or only itself), in one line, e.g. `listed 37 RUNNING instances
 * in us-central1-b; 0 matched: tags [cachecluster] removed 30, metadata service=web removed 7`. Undefined when the
 * result holds another node.
 */
export function explainAlone(result: RefreshResult, peers: readonly DiscoveredPeer[], ctx: ExplainContext): string | undefined {
  const onlySelf = peers.length === 1 && ctx.selfName !== undefined && peers[0]?.name === ctx.selfName;
  if (peers.length > 1 || (peers.length === 1 && !onlySelf)) return undefined;
  const c = ctx.criteria;
  const labels = Object.keys(c.labels).length > 0 ? ` with labels ${entries(c.labels)}` : "";
  const where = ctx.region === undefined ? `in ${ctx.zones.join(", ")}` : `in region ${ctx.region} (${ctx.zones.join(", ")})`;
  if (result.listed === 0) return `no RUNNING instance${labels} ${where}`;
  const r = result.removed;
  const parts = [
    r.status > 0 ? `not RUNNING removed ${r.status}` : "",
    r.zone > 0 ? `outside region ${ctx.region ?? "?"} removed ${r.zone}` : "",
    r.labels > 0 ? `labels ${entries(c.labels)} removed ${r.labels}` : "",
    r.tags > 0 ? `tags [${c.tags.join(", ")}] removed ${r.tags}` : "",
    r.metadata > 0 ? `metadata ${entries(c.metadata)} removed ${r.metadata}` : "",
    ...result.problems.map((p) => `${p.count} unusable (${p.group}, e.g. ${p.examples.join(", ")})`),
  ].filter((p) => p !== "");
  const listed = `listed ${result.listed} RUNNING instance${result.listed === 1 ? "" : "s"}${labels} ${where}`;
  if (onlySelf) return `${listed}; the only match is this instance itself (${ctx.selfName ?? "?"})${parts.length > 0 ? `; ${parts.join(", ")}` : ""}`;
  return `${listed}; 0 matched${parts.length > 0 ? `: ${parts.join(", ")}` : ""}`;
}
