import type { ServerResponse } from "node:http";

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

const DEFAULT_REASONS: Record<number, { reason: string; message: string; domain: string }> = {
  400: { reason: "invalid", message: "Invalid request.", domain: "global" },
  401: { reason: "required", message: "Request is missing required authentication credential.", domain: "global" },
  403: { reason: "forbidden", message: "Required 'compute.instances.list' permission for 'projects/{project}'", domain: "global" },
  404: { reason: "notFound", message: "The resource was not found", domain: "global" },
  429: {
    reason: "rateLimitExceeded",
    message: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'compute.googleapis.com'.",
    domain: "usageLimits",
  },
  500: { reason: "backendError", message: "Internal error. Please try again or contact Google Support.", domain: "global" },
  503: { reason: "backendError", message: "The service is currently unavailable.", domain: "global" },
};

/** The JSON error body Google APIs answer with (`{"error": {code, message, errors: [...], status}}`). */
export function googleErrorBody(status: number, message?: string, reason?: string): string {
  const fallback = DEFAULT_REASONS[status] ?? { reason: "backendError", message: `HTTP ${status}`, domain: "global" };
  const text = message ?? fallback.message;
  return JSON.stringify({
    error: {
      code: status,
      message: text,
      errors: [{ message: text, domain: fallback.domain, reason: reason ?? fallback.reason }],
      ...(STATUS_NAMES[status] === undefined ? {} : { status: STATUS_NAMES[status] }),
    },
  });
}

export function sendGoogleError(res: ServerResponse, status: number, message?: string, reason?: string, headers: Readonly<Record<string, string>> = {}): void {
  const body = googleErrorBody(status, message, reason);
  res.writeHead(status, { ...headers, "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
