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
    peer_stream: configValue.boolean
      .default(true)
      .describe(
        "Gets between cachecluster peers over one multiplexed binary stream per peer (an HTTP upgrade on the peer port); Go peers refuse it and are fetched over HTTP. `false`: HTTP only, and refuse the upgrade.",
      ),
    tls_cert: z
      .string()
      .min(1)
      .optional()
      .describe("PEM certificate file: with `tls_key`, the peer plane speaks HTTPS (the server's certificate, and the client's for mutual TLS)."),
    tls_key: z.string().min(1).optional().describe("PEM private key file of `tls_cert`."),
    tls_ca: z.string().min(1).optional().describe("PEM file of the CA(s) peers' certificates are checked against; default the system's CAs."),
    tls_client_auth: configValue.boolean.default(false).describe("Mutual TLS: the server refuses connections without a client certificate signed by `tls_ca`."),
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
    stream: options.stream ?? keys.peer_stream,
    tls: options.tls ?? tlsFromConfig(keys),
  };
}

function tlsFromConfig(keys: TransportCacheKeys): HttpTransportOptionsInput["tls"] {
  if (keys.tls_cert === undefined && keys.tls_key === undefined && keys.tls_ca === undefined && !keys.tls_client_auth) return undefined;
  return {
    cert: keys.tls_cert ?? "",
    key: keys.tls_key ?? "",
    clientAuth: keys.tls_client_auth,
    ...(keys.tls_ca === undefined ? {} : { ca: keys.tls_ca }),
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
    /** Gets between cachecluster peers over a binary stream (transport-http). */
    peer_stream?: boolean | string;
    /** PEM certificate file; with `tls_key`, HTTPS between peers (transport-http). */
    tls_cert?: string;
    /** PEM private key file of `tls_cert` (transport-http). */
    tls_key?: string;
    /** PEM CA file peers' certificates are checked against (transport-http). */
    tls_ca?: string;
    /** Mutual TLS: demand a client certificate signed by `tls_ca` (transport-http). */
    tls_client_auth?: boolean | string;
  }
}
