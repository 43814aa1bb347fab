import { configSection, configValue, openConfigSection } from "@cachecluster/core";
import { z } from "zod";
import { labelKey, labelValue, networkTag, projectId, regionName, zoneName } from "./gce-names.js";

const OWNER = "@cachecluster/discovery-gce";

/** `key=value` of `[match] labels`, as a [key, value] pair. */
const labelEntry = z
  .string()
  .regex(/^[^=]+=.*$/, { error: "expected key=value" })
  .transform((entry) => [entry.slice(0, entry.indexOf("=")).trim(), entry.slice(entry.indexOf("=") + 1).trim()] as const)
  .pipe(z.tuple([labelKey, labelValue]));

/** `[match]`: which instances are peers (the seed tool's section). */
export const matchSection = configSection("match", OWNER, {
  project: projectId.optional().describe("GCE project; default: from the metadata server."),
  zone: configValue.list(zoneName).optional().describe("Zone(s) to list, comma-separated; default: own zone from the metadata server."),
  region: regionName.optional().describe("A whole region instead of zones (every zone of it)."),
  network_interface: z
    .string()
    .regex(/^nic\d{1,2}$/, { error: "expected a network interface name such as nic0" })
    .optional()
    .describe("Interface whose IP is used, e.g. `nic0`; default: the only (or first) one."),
  tags: configValue.list(networkTag).default([]).describe("Network tags an instance must all carry, comma-separated."),
  labels: configValue
    .list(labelEntry)
    .default([])
    .transform((entries) => Object.fromEntries(entries) as Record<string, string>)
    .describe("Labels `key=value`, comma-separated, all required (server-side filter)."),
  refresh: configValue.milliseconds(10).default(60_000).describe("Discovery refresh period in ms (stretched for large fleets to stay in the API budget)."),
  cluster_port: configValue
    .integer(1, 65535)
    .optional()
    .describe("Gossip port of the instances found; default: this node's `[cluster] port`. One process per vCPU: worker 0's port."),
});

/** `[meta]`: metadata items an instance must all carry (`key = value`, any key). */
export const metaSection = openConfigSection(
  "meta",
  OWNER,
  z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, { error: "expected a metadata key (letters, digits, _ and -; at most 128)" }),
  z.string(),
  "Metadata items an instance must all carry (`key = value`).",
);

declare module "@cachecluster/core" {
  interface CacheClusterConfigInput {
    /** Which instances are peers (discovery-gce). */
    readonly match?: z.input<typeof matchSection.schema>;
    /** Metadata items an instance must all carry (discovery-gce). */
    readonly meta?: Readonly<Record<string, string>>;
  }
}
