import { isIP } from "node:net";
import type { DiscoveredPeer } from "@cachecluster/core";

/** What a listed instance must satisfy (the seed's semantics: every tag, label and metadata item). */
export interface InstanceCriteria {
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly networkInterface: string | undefined;
  /** With a region: zones outside it are ignored (aggregated list covers every zone). */
  readonly region?: string | undefined;
}

export type MatchResult =
  | { readonly ok: true; readonly peer: DiscoveredPeer }
  /** Does not match the criteria: normal, not logged. */
  | { readonly ok: false; readonly skip: "status" | "zone" | "tags" | "labels" | "metadata" }
  /**
   * Matches but cannot be used (malformed, or no address on the interface): worth a log line. `problem` is this
   * instance's; `group` is what instances with the same problem share, for a summary (`have no network interface nic1`).
   */
  | { readonly ok: false; readonly problem: string; readonly group: string; readonly name: string };

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function lastSegment(url: unknown): string | undefined {
  return typeof url === "string" && url.length > 0 ? url.slice(url.lastIndexOf("/") + 1) : undefined;
}

/** Decides whether one instance of a list answer is a peer, reading it defensively (it is input from the network). */
export function matchInstance(raw: unknown, criteria: InstanceCriteria): MatchResult {
  const instance = record(raw);
  const name = instance?.name;
  if (instance === undefined || typeof name !== "string" || name.length === 0) {
    return {
      ok: false,
      problem: `expected an instance with a name, got ${JSON.stringify(raw)?.slice(0, 120) ?? String(raw)}`,
      group: "are not instances with a name",
      name: "?",
    };
  }
  if (instance.status !== "RUNNING") return { ok: false, skip: "status" };
  if (criteria.region !== undefined) {
    const zone = lastSegment(instance.zone);
    if (zone === undefined || !zone.startsWith(`${criteria.region}-`)) return { ok: false, skip: "zone" };
  }
  const labels = record(instance.labels) ?? {};
  for (const [k, v] of Object.entries(criteria.labels)) if (labels[k] !== v) return { ok: false, skip: "labels" };
  const tagItems = record(instance.tags)?.items;
  const tags = new Set(Array.isArray(tagItems) ? tagItems.filter((t): t is string => typeof t === "string") : []);
  for (const tag of criteria.tags) if (!tags.has(tag)) return { ok: false, skip: "tags" };
  if (Object.keys(criteria.metadata).length > 0) {
    const items = record(instance.metadata)?.items;
    const meta = new Map<string, unknown>();
    if (Array.isArray(items)) for (const item of items) meta.set(String(record(item)?.key), record(item)?.value);
    for (const [k, v] of Object.entries(criteria.metadata)) if (meta.get(k) !== v) return { ok: false, skip: "metadata" };
  }
  const nics = Array.isArray(instance.networkInterfaces) ? instance.networkInterfaces.map(record) : [];
  let nic: Record<string, unknown> | undefined;
  if (criteria.networkInterface !== undefined) {
    // The Go tool's rule: the interface of that name, or the instance's only one (`nic.Name == cfg || len(NICs) == 1`).
    nic = nics.find((n) => n?.name === criteria.networkInterface) ?? (nics.length === 1 ? nics[0] : undefined);
    if (nic === undefined) {
      return {
        ok: false,
        problem: `has no network interface ${criteria.networkInterface} (has ${nics.map((n) => String(n?.name)).join(", ") || "none"})`,
        group: `have no network interface ${criteria.networkInterface}`,
        name,
      };
    }
  } else {
    // The only interface, else the primary one (nic0, listed first).
    nic = nics.length === 1 ? nics[0] : (nics.find((n) => n?.name === "nic0") ?? nics[0]);
    if (nic === undefined) return { ok: false, problem: "has no network interface", group: "have no network interface", name };
  }
  const ip = nic.networkIP;
  if (typeof ip !== "string" || isIP(ip) === 0) {
    const where = typeof nic.name === "string" ? nic.name : "its interface";
    return { ok: false, problem: `has no valid IP on ${where} (networkIP ${JSON.stringify(ip)})`, group: `have no valid IP on ${where}`, name };
  }
  return { ok: true, peer: { host: ip, name } };
}
