import { isIP } from "node:net";
import { DiscoveryError } from "./errors.js";
import type { GceDiscoverySettings } from "./options.js";

/** Where discovery looks, once resolved from options and the metadata server. */
export interface GceDiscoveryTarget {
  readonly project: string;
  /** Zones listed one by one (with a region: its zones, once `regions.get` answered). */
  readonly zones?: readonly string[];
  readonly region?: string;
  /** This instance, when the metadata server was asked (project or zone not configured). */
  readonly self?: { readonly name: string; readonly host: string };
}

/** Reads `project/<path>` or `instance/<path>` from the metadata server (with its deadline and error wording). */
export type ReadMetadata = (kind: "project" | "instance", path: string) => Promise<unknown>;

const PROJECT_ID = /^(?:[a-z][-a-z0-9.]*:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

export function badMetadata(path: string, value: unknown, expected: string): DiscoveryError {
  return new DiscoveryError(
    "metadata",
    `the metadata server answered ${path} with ${JSON.stringify(value)?.slice(0, 120) ?? String(value)}; expected ${expected}`,
  );
}

/**
 * The metadata index of the interface whose address is this instance's: with `networkInterface` unset, the first
 * (nic0); else, as for peers (the Go tool's rule), the interface of that name or the instance's only one, which
 * takes one more read (`network-interfaces/` lists them).
 */
async function selfInterface(networkInterface: string | undefined, read: ReadMetadata): Promise<number> {
  if (networkInterface === undefined) return 0;
  const wanted = Number(networkInterface.slice(3));
  const listing = await read("instance", "network-interfaces/");
  const indices =
    typeof listing === "string"
      ? listing
          .split("\n")
          .map((l) => /^(\d+)\/?$/.exec(l.trim())?.[1])
          .filter((i): i is string => i !== undefined)
          .map(Number)
      : typeof listing === "number"
        ? [listing]
        : [];
  if (indices.length === 0) throw badMetadata("instance/network-interfaces/", listing, "a list of interfaces such as 0/");
  if (indices.length === 1) return indices[0] ?? 0;
  if (indices.includes(wanted)) return wanted;
  throw new DiscoveryError(
    "metadata",
    `this instance has ${indices.length} network interfaces (${indices.map((i) => `nic${i}`).join(", ")}); [match] network_interface = ${networkInterface} is none of them (name one of them, or leave it out for nic0)`,
  );
}

/**
 * Project and zones from the options, else from the metadata server (then this instance's name and address too).
 * With a region, `zones` is left out: `regions.get` fills it.
 */
export async function resolveTarget(s: GceDiscoverySettings, read: ReadMetadata): Promise<GceDiscoveryTarget> {
  const needProject = s.project === undefined;
  const needZone = s.zones === undefined && s.region === undefined;
  const where = s.region === undefined ? { zones: s.zones ?? [] } : { region: s.region };
  if (!needProject && !needZone) return { project: s.project ?? "", ...where };
  const [project, zone, name, ip] = await Promise.all([
    needProject ? read("project", "project-id") : Promise.resolve(s.project),
    needZone ? read("instance", "zone") : Promise.resolve(undefined),
    read("instance", "name"),
    selfInterface(s.networkInterface, read).then(async (nic) => ({ nic, ip: await read("instance", `network-interfaces/${nic}/ip`) })),
  ]);
  const projectId = typeof project === "number" || typeof project === "string" ? String(project).trim() : "";
  if (!PROJECT_ID.test(projectId)) throw badMetadata("project/project-id", project, "a project ID such as my-project-123");
  let zones = s.zones;
  if (needZone) {
    const m = typeof zone === "string" ? /^projects\/[^/]+\/zones\/([a-z]+-[a-z]+\d+-[a-z])$/.exec(zone.trim()) : null;
    if (m?.[1] === undefined) throw badMetadata("instance/zone", zone, "projects/<number>/zones/<zone> such as projects/123/zones/us-central1-b");
    zones = [m[1]];
  }
  if (typeof name !== "string" || name.trim() === "") throw badMetadata("instance/name", name, "an instance name");
  if (typeof ip.ip !== "string" || isIP(ip.ip.trim()) === 0) throw badMetadata(`instance/network-interfaces/${ip.nic}/ip`, ip.ip, "an IP address");
  return {
    project: projectId,
    ...(s.region === undefined ? { zones: zones ?? [] } : { region: s.region }),
    self: { name: name.trim(), host: ip.ip.trim() },
  };
}
