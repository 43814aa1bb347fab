import { CacheClusterError } from "@cachecluster/core";

/** Why a refresh failed; `quota` also covers 403 `rateLimitExceeded`. */
export type DiscoveryFailureKind =
  "metadata" | "auth" | "forbidden" | "quota" | "not-found" | "invalid-request" | "server" | "timeout" | "network" | "malformed" | "unknown";

/**
 * A discovery refresh failed (metadata server, credentials, Compute API, or its answer). Never thrown at the
 * user: it is logged, kept as `stats().lastError`, and the last good peer list stays in place.
 */
export class DiscoveryError extends CacheClusterError {
  readonly kind: DiscoveryFailureKind;
  /** HTTP status of the failed call, where there was one. */
  readonly status: number | undefined;
  /** How long the server asked to wait (its `Retry-After`), in ms, where it said. */
  readonly retryAfterMs: number | undefined;
  constructor(kind: DiscoveryFailureKind, message: string, options?: { cause?: unknown; status?: number | undefined; retryAfterMs?: number | undefined }) {
    super("CACHECLUSTER_DISCOVERY_FAILED", message, options);
    this.kind = kind;
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
    this.name = "DiscoveryError";
  }

  /** Failures after which retrying sooner than the regular period would only burn more quota. */
  get isQuota(): boolean {
    return this.kind === "quota";
  }
}
