/**
 * Errors thrown by cachecluster. Every error has a stable `code` (match on it, not on the message),
 * a `name`, and where it wraps another failure, a `cause`.
 */
export type ErrorCode =
  | "CACHECLUSTER_CONFIG_INVALID"
  | "CACHECLUSTER_CONFIG_UNREADABLE"
  | "CACHECLUSTER_INVALID_ARGUMENT"
  | "CACHECLUSTER_LOADER_FAILED"
  | "CACHECLUSTER_LOADER_RESULT_INVALID"
  | "CACHECLUSTER_GROUP_EXISTS"
  | "CACHECLUSTER_NO_SUCH_GROUP"
  | "CACHECLUSTER_ABORTED"
  | "CACHECLUSTER_PEER_FETCH_FAILED"
  | "CACHECLUSTER_PEER_RESPONSE_INVALID"
  | "CACHECLUSTER_NOT_STARTED"
  | "CACHECLUSTER_STOPPED"
  | "CACHECLUSTER_DISCOVERY_FAILED"
  | "CACHECLUSTER_MEMBERSHIP_FAILED"
  | "CACHECLUSTER_DECODE_FAILED"
  | "CACHECLUSTER_LISTEN_FAILED";

export class CacheClusterError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "CacheClusterError";
  }
}

/** A config value (file, environment or code) is missing, malformed or unknown. */
export class ConfigError extends CacheClusterError {
  /** One entry per problem, e.g. `cachecluster.ini [cache] port: expected an integer from 1 to 65535, got "abc"`. */
  readonly issues: readonly string[];
  constructor(issues: readonly string[], options?: { cause?: unknown; code?: "CACHECLUSTER_CONFIG_INVALID" | "CACHECLUSTER_CONFIG_UNREADABLE" }) {
    super(options?.code ?? "CACHECLUSTER_CONFIG_INVALID", `invalid cachecluster config:\n  ${issues.join("\n  ")}`, options);
    this.issues = issues;
    this.name = "ConfigError";
  }
}

/** A function argument is out of its documented domain. */
export class InvalidArgumentError extends CacheClusterError {
  constructor(message: string) {
    super("CACHECLUSTER_INVALID_ARGUMENT", message);
    this.name = "InvalidArgumentError";
  }
}

/** The user's loader threw, rejected, or returned something that is not bytes or a string. */
export class LoaderError extends CacheClusterError {
  readonly group: string;
  readonly key: string;
  constructor(
    group: string,
    key: string,
    cause: unknown,
    code: "CACHECLUSTER_LOADER_FAILED" | "CACHECLUSTER_LOADER_RESULT_INVALID" = "CACHECLUSTER_LOADER_FAILED",
  ) {
    super(code, `loader of group "${group}" failed for key ${JSON.stringify(key)}: ${describe(cause)}`, { cause });
    this.group = group;
    this.key = key;
    this.name = "LoaderError";
  }
}

/** A get was aborted through its AbortSignal. Other waiters of the same key are not affected. */
export class AbortError extends CacheClusterError {
  constructor(message = "the operation was aborted", options?: { cause?: unknown }) {
    super("CACHECLUSTER_ABORTED", message, options);
    this.name = "AbortError";
  }
}

/** A peer could not be reached or answered with an error; the engine falls back to a local load. */
export class PeerError extends CacheClusterError {
  readonly peer: string;
  readonly status: number | undefined;
  constructor(
    peer: string,
    message: string,
    options?: { cause?: unknown; status?: number; code?: "CACHECLUSTER_PEER_FETCH_FAILED" | "CACHECLUSTER_PEER_RESPONSE_INVALID" },
  ) {
    super(options?.code ?? "CACHECLUSTER_PEER_FETCH_FAILED", `peer ${peer}: ${message}`, options);
    this.peer = peer;
    this.status = options?.status;
    this.name = "PeerError";
  }
}

/** Bytes from the network (HTTP body, UDP packet, API answer) that do not decode. */
export class DecodeError extends CacheClusterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CACHECLUSTER_DECODE_FAILED", message, options);
    this.name = "DecodeError";
  }
}

export function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
