import { type CacheClusterConfig, configSection, configValue } from "@cachecluster/core";
import { z } from "zod";
import { type HttpTransportOptionsInput, secretKey } from "./options.js";

const OWNER = "@cachecluster/transport-http";

/** The keys transport-http owns in `[cache]` (core owns port, host, self, replicas, max_bytes and timeout). */
export const transportCacheKeys = configSection(
  "cache",
  OWNER,
  {
    secret_keys: configValue
      .list(secretKey)
      .default([])
      .describe(
        "Base64 secrets (16–64 bytes; `openssl rand -base64 32`) signing peer writes (PUT/DELETE, HMAC-SHA256), comma-separated: the first signs, all verify (rotation). Empty: writes only from the addresses of current members.",
      ),
    reads: z
      .enum(["members", "any"], { error: 'expected "members" or "any"' })
      .default("members")
      .describe("Who is served peer GETs: `members` (only the addresses of current members, Go members included; others get 403) or `any`."),
    max_set_bytes: configValue.byteSize
      .refine((n) => n >= 1, { error: "expected at least 1 byte" })
      .default(1024 * 1024)
      .describe("Largest set (PUT) body a peer may send, e.g. `1MiB`; refused before reading when declared larger, cut off when streamed."),
    max_concurrent_sets: configValue.integer(1, 1024).default(8).describe("Set bodies read at once; 8 times as many wait unread, beyond that 503."),
  },
  { sensitive: ["secret_keys"] },
);

export type TransportCacheKeys = z.output<typeof transportCacheKeys.schema>;

/** The config's keys as transport options: a value given in code wins; `timeout` is `[cache] timeout`. */
export function optionsFromConfig(config: CacheClusterConfig, options: HttpTransportOptionsInput): HttpTransportOptionsInput {
  const keys = config.section(transportCacheKeys);
  return {
    ...options,
    timeout: options.timeout ?? config.cache.timeout,
    secretKeys: options.secretKeys ?? keys.secret_keys,
    reads: options.reads ?? keys.reads,
    maxSetBytes: options.maxSetBytes ?? keys.max_set_bytes,
    maxConcurrentSets: options.maxConcurrentSets ?? keys.max_concurrent_sets,
  };
}

declare module "@cachecluster/core" {
  interface CacheSectionInput {
    /** Base64 secrets signing peer writes, the first signs (transport-http). */
    secret_keys?: string | readonly string[];
    /** Who is served peer GETs: `members` or `any` (transport-http). */
    reads?: "members" | "any";
    /** Largest set body, e.g. `1MiB` (transport-http). */
    max_set_bytes?: number | string;
    /** Set bodies read at once (transport-http). */
    max_concurrent_sets?: number | string;
  }
}
