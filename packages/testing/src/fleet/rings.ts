// What each node says about the cluster, read from its status page's JSON through the load balancer's agent.
import { type Fleet, OBSERVER_ADDRESS } from "./fleet.js";
import type { ManagedInstanceGroup } from "./mig.js";

export interface NodeView {
  /** The node's cache base URL (`http://10.128.0.12:9080`). */
  readonly url: string;
  readonly answered: boolean;
  readonly error: string | null;
  /** `listening`, `stopping`, ... */
  readonly state: string | null;
  readonly mode: string | null;
  /** The ring's peer URLs, sorted. */
  readonly ring: readonly string[];
  readonly members: readonly { readonly id: string; readonly state: string }[];
  /** The membership component's counters (e.g. SWIM's tcpFallbackSuccessesTotal). */
  readonly membershipStats: Readonly<Record<string, number>>;
}

interface StatusJson {
  node?: { state?: string };
  mode?: string;
  ring?: { peers?: { url?: string }[] };
  members?: { id?: string; state?: string }[];
  components?: { membership?: { stats?: Record<string, number> | null } | null };
}

/** Reads `/_cachecluster/status.json` of every node URL, as the operator (from the observer address). */
export async function nodeViews(fleet: Fleet, urls: readonly string[], timeoutMs = 2_000): Promise<NodeView[]> {
  const results = await fleet.lb.probe(
    urls.map((u) => `${u}/_cachecluster/status.json`),
    timeoutMs,
    OBSERVER_ADDRESS,
  );
  return results.map((r, i) => {
    const url = urls[i]!;
    if (r.status !== 200)
      return { url, answered: false, error: r.error ?? `HTTP ${r.status}`, state: null, mode: null, ring: [], members: [], membershipStats: {} };
    try {
      const s = JSON.parse(r.body) as StatusJson;
      return {
        url,
        answered: true,
        error: null,
        state: s.node?.state ?? null,
        mode: s.mode ?? null,
        ring: (s.ring?.peers ?? []).map((p) => p.url ?? "").sort(),
        members: (s.members ?? []).map((m) => ({ id: m.id ?? "", state: m.state ?? "" })),
        membershipStats: s.components?.membership?.stats ?? {},
      };
    } catch (error) {
      return { url, answered: false, error: `bad JSON: ${String(error)}`, state: null, mode: null, ring: [], members: [], membershipStats: {} };
    }
  });
}

/** True when every node answered and each one's ring is exactly `expected`. */
export function oneRing(views: readonly NodeView[], expected: readonly string[]): boolean {
  const want = [...expected].sort().join(" ");
  return views.length > 0 && views.every((v) => v.answered && v.ring.join(" ") === want);
}

/** Cache URLs of the workers of a group's instances that run and are not being deleted or recreated. */
export function migNodeUrls(mig: ManagedInstanceGroup): string[] {
  return mig.instances
    .filter((i) => i.action === "NONE" && i.vm?.status === "RUNNING")
    .flatMap((i) => mig.ports(i).cache.map((port) => `http://${i.vm!.ip}:${port}`));
}

/** A line per node that does not see `expected`, for failure messages. */
export function describeViews(views: readonly NodeView[], expected: readonly string[]): string {
  const want = [...expected].sort().join(" ");
  return views
    .filter((v) => !v.answered || v.ring.join(" ") !== want)
    .map((v) => `  ${v.url}: ${v.answered ? `${v.state}, ring [${v.ring.map((u) => u.replace(/^http:\/\//, "")).join(" ")}]` : `no answer (${v.error})`}`)
    .join("\n");
}
