import { z } from "zod";

const port = z.coerce
  .number({ error: "expected a port number" })
  .int({ error: "expected an integer port from 0 to 65535" })
  .min(0, { error: "expected a port from 0 to 65535" })
  .max(65535, { error: "expected a port from 0 to 65535" });

const positiveMs = z.coerce
  .number({ error: "expected a duration in milliseconds" })
  .int({ error: "expected a whole number of milliseconds" })
  .min(1, { error: "expected at least 1 ms" });

/** Comma- or space-separated list in the ini file, or an array in code. */
const list = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(/[\s,]+/)).map((s) => s.trim()).filter((s) => s.length > 0));

const byteSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : parseByteSize(v);
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) {
    ctx.addIssue({ code: "custom", message: `expected a byte size such as 67108864, 64MiB or 64MB, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(text);
  if (!m) return undefined;
  const units: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };
  return Math.floor(Number(m[1]) * (units[(m[2] ?? "b").toLowerCase()] ?? 1));
}

export const cacheSection = z
  .object({
    /** Peer HTTP port. */
    port: port.default(9080),
    /** Address the peer HTTP server binds. */
    host: z.string().min(1).default("0.0.0.0"),
    /** This node's cache base URL as peers reach it; default `http://{own IP}:{port}`. */
    self: z.url({ error: "expected an absolute http(s) URL such as http://10.0.0.7:9080" }).optional(),
    /** Virtual nodes per peer on the hash ring (golang/groupcache: 50). */
    replicas: z.coerce.number().int().min(1).max(10_000).default(50),
    /** Default byte budget of a group (main + hot) when `group()` gives none. */
    max_bytes: byteSize.default(64 * 1024 * 1024),
    /** Peer fetch timeout in ms. */
    timeout: positiveMs.default(2000),
  })
  .strict();

export const clusterSection = z
  .object({
    /** SWIM port (UDP, and TCP for state sync). */
    port: port.default(9999),
    /** Address SWIM binds. */
    host: z.string().min(1).default("0.0.0.0"),
    /** Protocol period (probe interval) in ms; memberlist's LAN default is 1000. */
    heartbeat: positiveMs.default(1000),
    /** Member name; default: host name + cache port. */
    name: z.string().min(1).optional(),
    /** Address other members reach this one on; default: own IP. */
    advertise: z.string().min(1).optional(),
    /** Base64 AES key(s), 16/24/32 bytes each, comma-separated; the first encrypts. Empty: no encryption. */
    secret_keys: list.default([]),
  })
  .strict();

export const matchSection = z
  .object({
    project: z.string().min(1).optional(),
    /** One zone or several (comma-separated); default: own zone from the metadata server. */
    zone: list.optional(),
    /** A whole region (aggregated list, filtered to its zones). */
    region: z.string().min(1).optional(),
    network_interface: z.string().min(1).optional(),
    /** Network tags an instance must all carry. */
    tags: list.default([]),
    /** Labels `key=value`, all required (server-side filter). */
    labels: list.default([]),
    /** Discovery refresh period in ms. */
    refresh: positiveMs.default(60_000),
  })
  .strict();

export const configSchema = z
  .object({
    cache: cacheSection.default(() => cacheSection.parse({})),
    cluster: clusterSection.default(() => clusterSection.parse({})),
    match: matchSection.default(() => matchSection.parse({})),
    /** Metadata items an instance must all carry (key = value). */
    meta: z.record(z.string(), z.coerce.string()).default({}),
  })
  .strict();

export type CacheClusterConfig = z.output<typeof configSchema>;
export type CacheClusterConfigInput = z.input<typeof configSchema>;
