import type { ListRequest, RegionRequest } from "./compute-api.js";
import type { OpenOptions } from "./google-compute-client.js";

/** Messages to the Compute API worker thread. `id` pairs a request with its reply; `cancel` aborts request `target`. */
export type WorkerRequest =
  | { readonly id: number; readonly op: "load" }
  | { readonly id: number; readonly op: "open"; readonly client: number; readonly options: OpenOptions }
  | { readonly id: number; readonly op: "list"; readonly client: number; readonly request: ListRequest }
  | { readonly id: number; readonly op: "regionZones"; readonly client: number; readonly request: RegionRequest }
  | { readonly id: number; readonly op: "close"; readonly client: number }
  | { readonly op: "cancel"; readonly target: number };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError }
  /** Something that went wrong in the worker outside any request (it keeps running). */
  | { readonly op: "warn"; readonly message: string };

/**
 * An error as plain data (the worker loads nothing of `@cachecluster/core`), with the fields `classifyError` reads (a gaxios error's status, headers, body and URL,
 * a socket error's code, the cause chain), so it is classified the same on either side of the thread boundary.
 */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly code?: string | number | undefined;
  readonly status?: number | undefined;
  readonly reason?: string | undefined;
  readonly response?: { readonly status?: unknown; readonly data?: unknown; readonly headers: Readonly<Record<string, string>> } | undefined;
  readonly config?: { readonly url?: string } | undefined;
  readonly cause?: SerializedError | undefined;
}

const MAX_BODY = 64 * 1024;

function headersOf(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== "object" || headers === null) return out;
  for (const name of ["retry-after", "date"]) {
    const value =
      typeof (headers as { get?: unknown }).get === "function"
        ? (headers as { get(n: string): string | null }).get(name)
        : (headers as Record<string, unknown>)[name];
    if (typeof value === "string") out[name] = value;
  }
  return out;
}

function bodyOf(data: unknown): unknown {
  if (typeof data === "string") return data.slice(0, MAX_BODY);
  if (typeof data !== "object" || data === null) return undefined;
  try {
    const text = JSON.stringify(data);
    return text.length <= MAX_BODY ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined; // a stream or something else that is not data
  }
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (typeof error !== "object" || error === null) return { name: "Error", message: String(error) };
  const e = error as Record<string, unknown> & { response?: Record<string, unknown>; config?: { url?: unknown } };
  const url = e.config?.url;
  return {
    name: typeof e.name === "string" ? e.name : "Error",
    message: typeof e.message === "string" ? e.message : "(no message)",
    stack: typeof e.stack === "string" ? e.stack : undefined,
    code: typeof e.code === "string" || typeof e.code === "number" ? e.code : undefined,
    status: typeof e.status === "number" ? e.status : undefined,
    reason: typeof e.reason === "string" ? e.reason : undefined,
    response:
      typeof e.response === "object" && e.response !== null
        ? { status: e.response.status, data: bodyOf(e.response.data), headers: headersOf(e.response.headers) }
        : undefined,
    config: typeof url === "string" ? { url } : url instanceof URL ? { url: url.href } : undefined,
    cause: depth < 4 && e.cause !== undefined ? serializeError(e.cause, depth + 1) : undefined,
  };
}
