import { type CacheClusterConfig, parseOptions } from "@cachecluster/core";
import { matchSection, metaSection } from "./config-sections.js";
import { labelKey, labelValue, networkTag, projectId, regionName, zoneName } from "./gce-names.js";
import { z } from "zod";

/** The Compute API's largest page. */
export const MAX_PAGE_SIZE = 500;

const ms = (min: number) =>
  z
    .number({ error: "expected a number of milliseconds" })
    .int({ error: "expected a whole number of milliseconds" })
    .min(min, { error: `expected at least ${min} ms` });

/**
 * Options of {@link GceDiscovery}. Where one is absent, `gceDiscovery()` takes it from the core config
 * (`[match]`, `[meta]`), then from the metadata server (project, zone), then from the defaults below.
 */
export const gceDiscoveryOptions = z
  .object({
    /** Project to list instances of; default: `[match] project`, else the metadata server's project. */
    project: projectId.optional(),
    /** Zone(s) to list; default: `[match] zone`, else this instance's zone (metadata server). */
    zones: z
      .union([zoneName, z.array(zoneName).min(1, { error: "expected at least one zone" })])
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .optional(),
    /** A whole region instead of zones: each zone of the region (`regions.get`) is listed. */
    region: regionName.optional(),
    /** Interface whose IP a peer is reached on (`nic0`, `nic1`, ...); default: the only (or first) one. */
    networkInterface: z
      .string()
      .regex(/^nic\d{1,2}$/, { error: "expected a network interface name such as nic0" })
      .optional(),
    /** Network tags an instance must all carry (client-side match). */
    tags: z.array(networkTag).default([]),
    /** Labels an instance must all carry (server-side filter, re-checked client-side). */
    labels: z.record(labelKey, labelValue).default({}),
    /** Instance metadata items an instance must all carry with these values (client-side match). */
    metadata: z.record(z.string().min(1, { error: "expected a non-empty metadata key" }), z.string()).default({}),
    /** Regular refresh period; default `[match] refresh` (60 s). Stretched for large fleets, see `apiBudgetPerMinute`. */
    refreshMs: ms(10).default(60_000),
    /** Each period is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
    jitter: z.number().min(0, { error: "expected a jitter from 0 to 1" }).max(1, { error: "expected a jitter from 0 to 1" }).default(0.1),
    /** First retry delay after a failed refresh; doubles per failure up to `backoffCapMs`. */
    backoffBaseMs: ms(1).default(1_000),
    backoffCapMs: ms(1).default(300_000),
    /** Deadline of one API call (a page of a list, or a metadata read). */
    requestTimeoutMs: ms(1).default(10_000),
    /** Page size of list calls (the Compute API allows at most 500). */
    maxResults: z
      .number()
      .int()
      .min(1, { error: `expected a page size from 1 to ${MAX_PAGE_SIZE}` })
      .max(MAX_PAGE_SIZE, { error: `expected a page size from 1 to ${MAX_PAGE_SIZE}` })
      .default(MAX_PAGE_SIZE),
    /**
     * List calls per minute the whole fleet may spend (every node runs discovery). Each node stretches its period to
     * `fleet size × calls per refresh ÷ budget` minutes when that exceeds `refreshMs`. Default 500: a third of the
     * Compute API's default of 1,500 list/read requests per minute per project.
     */
    apiBudgetPerMinute: z.number().positive({ error: "expected a positive number of calls per minute" }).default(500),
    /**
     * The gossip (SWIM) port of the nodes found; default: this node's `[cluster] port`. With several processes per
     * VM (one per vCPU, each on its own port), set it to the first process's port so every process joins the same
     * seeds and they all form one cluster.
     */
    clusterPort: z
      .number({ error: "expected a port number" })
      .int({ error: "expected a port from 1 to 65535" })
      .min(1, { error: "expected a port from 1 to 65535" })
      .max(65535, { error: "expected a port from 1 to 65535" })
      .optional(),
    /** Compute API host (tests: `127.0.0.1`); default `compute.googleapis.com`. */
    apiEndpoint: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535, { error: "expected a port from 1 to 65535" }).optional(),
    protocol: z.enum(["http", "https"], { error: 'expected "http" or "https"' }).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.region !== undefined && o.zones !== undefined) {
      ctx.addIssue({ code: "custom", path: ["region"], message: "expected either zones or region, not both" });
    }
    if (o.backoffCapMs < o.backoffBaseMs) {
      ctx.addIssue({ code: "custom", path: ["backoffCapMs"], message: `expected backoffCapMs >= backoffBaseMs (${o.backoffBaseMs})` });
    }
  });

export type GceDiscoveryOptionsInput = z.input<typeof gceDiscoveryOptions>;
export type GceDiscoverySettings = z.output<typeof gceDiscoveryOptions>;

/** Validates options given in code; throws a `ConfigError` naming each bad option. */
export function parseGceDiscoveryOptions(input: unknown): GceDiscoverySettings {
  return parseOptions(gceDiscoveryOptions, input, "gceDiscovery options");
}

/** Which config key each option falls back to, for error messages. */
const CONFIG_KEYS: Record<string, string> = {
  project: "[match] project",
  zones: "[match] zone",
  region: "[match] region",
  networkInterface: "[match] network_interface",
  tags: "[match] tags",
  labels: "[match] labels",
  metadata: "[meta]",
  refreshMs: "[match] refresh",
  clusterPort: "[match] cluster_port",
};

/**
 * Options in code over the config: `[match]` project, zone, region, network_interface, tags, labels, refresh,
 * cluster_port, and the `[meta]` items (both declared by this plugin, validated with the rest of the config). A value given in
 * code replaces the config's (lists are not merged).
 */
export function resolveGceDiscoveryOptions(options: GceDiscoveryOptionsInput = {}, config?: CacheClusterConfig): GceDiscoverySettings {
  if (config === undefined) return parseGceDiscoveryOptions(options);
  const match = config.section(matchSection);
  const meta = config.section(metaSection);
  const fromConfig: Record<string, unknown> = {
    project: match.project,
    zones: match.zone !== undefined && match.zone.length > 0 ? match.zone : undefined,
    region: match.region,
    networkInterface: match.network_interface,
    tags: match.tags.length > 0 ? match.tags : undefined,
    labels: Object.keys(match.labels).length > 0 ? match.labels : undefined,
    metadata: Object.keys(meta).length > 0 ? meta : undefined,
    refreshMs: match.refresh,
    clusterPort: match.cluster_port,
  };
  const merged: Record<string, unknown> = { ...options };
  const origin = new Map<string, string>();
  for (const [key, value] of Object.entries(fromConfig)) {
    if (value === undefined || (options as Record<string, unknown>)[key] !== undefined) continue;
    // Zones in code replace a region in the config and the other way round.
    if (key === "zones" && options.region !== undefined) continue;
    if (key === "region" && options.zones !== undefined) continue;
    merged[key] = value;
    origin.set(key, `config ${CONFIG_KEYS[key] ?? key}`);
  }
  return parseOptions(gceDiscoveryOptions, merged, "gceDiscovery options", (path) => {
    const from = origin.get(String(path[0] ?? ""));
    return from === undefined
      ? undefined
      : `${from}${path
          .slice(1)
          .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
          .join("")}`;
  });
}
