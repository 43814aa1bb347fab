import { DiscoveryError, type DiscoveryFailureKind } from "./errors.js";
import { parseRetryAfter } from "./retry-after.js";

const QUOTA_REASONS = new Set(["rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "RATE_LIMIT_EXCEEDED"]);

/** gRPC status codes that google-gax errors carry. */
const GRPC_KIND: Record<number, DiscoveryFailureKind> = {
  3: "invalid-request",
  4: "timeout",
  5: "not-found",
  7: "forbidden",
  8: "quota",
  13: "server",
  14: "server",
  16: "auth",
};

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "UND_ERR_SOCKET"]);

interface GoogleErrorBody {
  error?: { code?: number; message?: string; status?: string; errors?: { reason?: string; message?: string }[] };
}

function parseBody(data: unknown): GoogleErrorBody | undefined {
  if (typeof data === "object" && data !== null) return data;
  if (typeof data !== "string") return undefined;
  try {
    return JSON.parse(data) as GoogleErrorBody;
  } catch {
    return undefined;
  }
}

/** A response header from a gaxios error: `Headers` in the client, a plain record once it crossed a thread. */
function header(headers: unknown, name: string): string | undefined {
  if (typeof headers !== "object" || headers === null) return undefined;
  if (typeof (headers as { get?: unknown }).get === "function") return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

function findCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== "object" || error === null || depth > 4) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
  return findCode((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * Turns whatever the Google clients threw (GaxiosError with an HTTP status, GoogleError with a gRPC code,
 * fetch/socket errors, JSON syntax errors) into a `DiscoveryError` whose message names the call, the status,
 * the Google reason and message.
 */
export function classifyError(call: string, error: unknown): DiscoveryError {
  if (error instanceof DiscoveryError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    status?: unknown;
    code?: unknown;
    message?: unknown;
    name?: unknown;
    response?: { status?: unknown; data?: unknown; headers?: unknown };
    reason?: unknown;
    config?: { url?: unknown };
  };
  const url = typeof e.config?.url === "string" ? e.config.url : e.config?.url instanceof URL ? e.config.url.href : "";
  // google-auth-library failing to get an access token (on GCE: from the metadata server), or to find credentials.
  const text = typeof e.message === "string" ? e.message : "";
  const tokenCall = /\/token(\?|$)/.test(url) || /oauth2|access token/i.test(text);
  const noCredentials = e.name === "CredentialsError" || /default credentials|No authentication was provided/i.test(text);
  const status = typeof e.status === "number" ? e.status : typeof e.response?.status === "number" ? e.response.status : undefined;
  const body = parseBody(e.response?.data) ?? parseBody(e.message);
  const reason = body?.error?.errors?.find((x) => typeof x.reason === "string")?.reason ?? (typeof e.reason === "string" ? e.reason : undefined);
  const googleMessage = body?.error?.message ?? (typeof e.message === "string" ? e.message : String(error));
  const detail = `${tokenCall ? `getting an access token (${url.replace(/\?.*$/, "")}): ` : ""}${status === undefined ? "" : `HTTP ${status} `}${reason === undefined ? "" : `${reason}: `}${googleMessage}`;
  const retryAfterMs = parseRetryAfter(header(e.response?.headers, "retry-after"), Date.now(), header(e.response?.headers, "date"));
  let kind: DiscoveryFailureKind;
  if (tokenCall || noCredentials) {
    kind = "auth";
  } else if (status !== undefined) {
    if (status === 429 || (reason !== undefined && QUOTA_REASONS.has(reason))) kind = "quota";
    else if (status === 401) kind = "auth";
    else if (status === 403) kind = "forbidden";
    else if (status === 404) kind = "not-found";
    else if (status === 408 || status === 504) kind = "timeout";
    else if (status >= 500) kind = "server";
    else if (status >= 400) kind = "invalid-request";
    else kind = "malformed";
  } else if (typeof e.code === "number" && GRPC_KIND[e.code] !== undefined) {
    kind = reason !== undefined && QUOTA_REASONS.has(reason) ? "quota" : (GRPC_KIND[e.code] ?? "unknown");
  } else if (error instanceof SyntaxError || e.name === "SyntaxError" || /fromProto3JSON|JSON/.test(googleMessage)) {
    kind = "malformed";
  } else if (typeof e.name === "string" && (e.name === "AbortError" || e.name === "TimeoutError")) {
    kind = "timeout";
  } else if (findCode(error) !== undefined || /fetch failed|socket hang up|ECONN/i.test(googleMessage)) {
    kind = "network";
  } else {
    kind = "unknown";
  }
  const hint =
    kind === "forbidden"
      ? " (the service account needs compute.instances.list, e.g. roles/compute.viewer, and the instance the compute-ro or cloud-platform scope)"
      : kind === "auth"
        ? " (no usable credentials: on GCE the metadata server's service account; elsewhere GOOGLE_APPLICATION_CREDENTIALS naming a key file)"
        : "";
  return new DiscoveryError(kind, `${call} failed: ${detail}${hint}`, { cause: error, status, retryAfterMs });
}
