import { CacheClusterError } from "@cachecluster/core";

/** Why a lookup failed. */
export type DnsFailureKind =
  /** NXDOMAIN: the name does not exist. */
  | "not-found"
  /** The name exists but has no records of the type asked (NODATA), or no usable one. */
  | "no-records"
  /** SERVFAIL: the server could not answer (its upstream failed, DNSSEC, ...). */
  | "server"
  /** REFUSED: the server does not answer for this name (not its zone, or recursion denied). */
  | "refused"
  /** No answer within the deadline. */
  | "timeout"
  /** An answer that does not parse (a record longer than the message, an A record of 3 bytes, ...). */
  | "malformed"
  /** The server could not be reached (connection refused, unreachable). */
  | "network"
  | "unknown";

/**
 * A DNS lookup failed. Never thrown at the user: it is logged (once per distinct failure), kept as
 * `lastError`, and the last good peer list stays in place.
 */
export class DnsDiscoveryError extends CacheClusterError {
  /** Why the lookup failed. */
  readonly kind: DnsFailureKind;
  /** The resolver's error code (`ENOTFOUND`, `ESERVFAIL`, `ETIMEOUT`, ...), where there was one. */
  readonly dnsCode: string | undefined;
  constructor(kind: DnsFailureKind, message: string, options?: { cause?: unknown; dnsCode?: string | undefined }) {
    super("CACHECLUSTER_DISCOVERY_FAILED", message, options);
    this.kind = kind;
    this.dnsCode = options?.dnsCode;
    this.name = "DnsDiscoveryError";
  }
}

const KINDS: Readonly<Record<string, DnsFailureKind>> = {
  ENOTFOUND: "not-found",
  ENODATA: "no-records",
  ESERVFAIL: "server",
  EREFUSED: "refused",
  ETIMEOUT: "timeout",
  ECANCELLED: "timeout",
  EBADRESP: "malformed",
  EFORMERR: "malformed",
  EBADFAMILY: "malformed",
  ECONNREFUSED: "network",
  ECONNRESET: "network",
  EHOSTUNREACH: "network",
  ENETUNREACH: "network",
};

const EXPLAIN: Readonly<Record<DnsFailureKind, string>> = {
  "not-found": "the name does not exist (NXDOMAIN)",
  "no-records": "the name has no such records (NODATA)",
  server: "the server failed to answer (SERVFAIL)",
  refused: "the server refused to answer (REFUSED: not its zone, or recursion denied)",
  timeout: "no answer in time",
  malformed: "the answer is malformed",
  network: "the server cannot be reached",
  unknown: "the lookup failed",
};

/** A resolver failure (`node:dns` error codes) as a `DnsDiscoveryError` for `query`, e.g. `SRV _gossip._udp.peers`. */
export function classifyDnsError(query: string, error: unknown, servers: string, timeoutMs: number): DnsDiscoveryError {
  if (error instanceof DnsDiscoveryError) return error;
  const code =
    typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : undefined;
  const kind = (code !== undefined ? KINDS[code] : undefined) ?? "unknown";
  const detail = kind === "timeout" ? `no answer from ${servers} within ${timeoutMs} ms` : `${EXPLAIN[kind]}${code !== undefined ? `, ${code}` : ""}`;
  const extra = kind === "unknown" && error instanceof Error ? `: ${error.message}` : "";
  return new DnsDiscoveryError(kind, `DNS lookup ${query} failed: ${detail}${extra}`, { cause: error, dnsCode: code });
}
