import { type CacheClusterConfig, parseOptions } from "@cachecluster/core";
import { z } from "zod";
import { dnsSection } from "./config-section.js";
import { dnsName, dnsServer } from "./dns-names.js";

const ms = (min: number) =>
  z
    .number({ error: "expected a number of milliseconds" })
    .int({ error: "expected a whole number of milliseconds" })
    .min(min, { error: `expected at least ${min} ms` });

const shape = {
  /** The DNS name that lists the peers; default `[dns] name`. Required (in code or config). */
  name: dnsName,
  /** Record type to query; default `[dns] type`, else `A`. */
  type: z.enum(["A", "AAAA", "SRV"], { error: 'expected "A", "AAAA" or "SRV"' }).default("A"),
  /** Port of every peer found by A/AAAA records (see `portKind`); default: none, the local config's ports. Not with SRV. */
  port: z
    .number({ error: "expected a port number" })
    .int({ error: "expected a port from 1 to 65535" })
    .min(1)
    .max(65535, { error: "expected a port from 1 to 65535" })
    .optional(),
  /** What an SRV record's port (or `port`) is: the peers' membership port (`cluster`) or their peer HTTP port (`cache`). */
  portKind: z.enum(["cluster", "cache"], { error: 'expected "cluster" or "cache"' }).default("cluster"),
  /** Longest time between lookups; shorter when the records' TTL is (down to `minRefreshMs`). */
  refreshMs: ms(100).default(30_000),
  /** Shortest time between lookups, whatever the TTL; default 5 s, or `refreshMs` if that is shorter. */
  minRefreshMs: ms(100).optional(),
  /** Deadline of one lookup, all its queries included; past it the queries are cancelled. */
  timeoutMs: ms(10).default(5_000),
  /** DNS servers to ask (`ip` or `ip:port`); default: the system's, from `/etc/resolv.conf`. */
  servers: z.array(dnsServer, { error: "expected a list of DNS server addresses" }).default([]),
  /** Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: z
    .number({ error: "expected a jitter from 0 to 1" })
    .min(0, { error: "expected a jitter from 0 to 1" })
    .max(1, { error: "expected a jitter from 0 to 1" })
    .default(0.1),
  /** First retry delay after a failed lookup; doubles per failure up to `backoffCapMs`. */
  backoffBaseMs: ms(1).default(1_000),
  backoffCapMs: ms(1).default(60_000),
};

const MIN_REFRESH_MS = 5_000;

interface Checked {
  readonly type: string;
  readonly port?: number | undefined;
  readonly refreshMs: number;
  readonly minRefreshMs?: number | undefined;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
}

function crossCheck(o: Checked, ctx: z.RefinementCtx): void {
  if (o.type === "SRV" && o.port !== undefined) {
    ctx.addIssue({ code: "custom", path: ["port"], message: "expected no port with type SRV (SRV records carry their port)" });
  }
  if (o.minRefreshMs !== undefined && o.minRefreshMs > o.refreshMs) {
    ctx.addIssue({ code: "custom", path: ["minRefreshMs"], message: `expected minRefreshMs <= refreshMs (${o.refreshMs})` });
  }
  if (o.backoffCapMs < o.backoffBaseMs) {
    ctx.addIssue({ code: "custom", path: ["backoffCapMs"], message: `expected backoffCapMs >= backoffBaseMs (${o.backoffBaseMs})` });
  }
}

/** Options of {@link DnsDiscovery}. `dnsDiscovery()` takes each absent one from the config's `[dns]` section. */
export const dnsDiscoveryOptions = z
  .object(shape)
  .strict()
  .superRefine(crossCheck)
  .transform((o) => ({ ...o, minRefreshMs: o.minRefreshMs ?? Math.min(MIN_REFRESH_MS, o.refreshMs) }));

/** The same, with the name left for the config to give (what `dnsDiscovery()` checks when it is called). */
const partialOptions = z
  .object({ ...shape, name: dnsName.optional() })
  .strict()
  .superRefine(crossCheck);

export type DnsDiscoveryOptionsInput = z.input<typeof dnsDiscoveryOptions>;
export type DnsDiscoverySettings = z.output<typeof dnsDiscoveryOptions>;

const WHAT = "dnsDiscovery options";

/** Validates complete options given in code; throws a `ConfigError` naming each bad one. */
export function parseDnsDiscoveryOptions(input: unknown): DnsDiscoverySettings {
  return parseOptions(dnsDiscoveryOptions, input, WHAT);
}

/** Validates the options `dnsDiscovery()` was given, before the config is known (the name may come from it). */
export function checkDnsDiscoveryOptions(input: unknown): void {
  parseOptions(partialOptions, input, WHAT);
}

/** The `[dns]` key each option falls back to. */
const CONFIG_KEYS = {
  name: "name",
  type: "type",
  port: "port",
  portKind: "port_kind",
  refreshMs: "refresh",
  minRefreshMs: "min_refresh",
  timeoutMs: "timeout",
  servers: "servers",
} as const;

/**
 * Options in code over the config's `[dns]` section (declared by this plugin and validated with the rest of the
 * config): an option given in code replaces the key's value; a `servers` list is not merged.
 */
export function resolveDnsDiscoveryOptions(options: Partial<DnsDiscoveryOptionsInput>, config: CacheClusterConfig): DnsDiscoverySettings {
  const section = config.section(dnsSection) as Record<string, unknown>;
  const given = config.source.sections.get("dns");
  const merged: Record<string, unknown> = { ...options };
  const origin = new Map<string, string>();
  for (const [option, key] of Object.entries(CONFIG_KEYS)) {
    // Only keys the config sets: an unset key leaves the option's own default (which may depend on other options).
    if ((options as Record<string, unknown>)[option] !== undefined || given?.has(key) !== true) continue;
    merged[option] = section[key];
    origin.set(option, config.source.origin("dns", key));
  }
  return parseOptions(dnsDiscoveryOptions, merged, WHAT, (path) => {
    const from = origin.get(String(path[0] ?? ""));
    return from === undefined
      ? undefined
      : `${from}${path
          .slice(1)
          .map((p) => `[${String(p)}]`)
          .join("")}`;
  });
}
