import type { SwimOptionsInput } from "@cachecluster/membership-swim";

/**
 * The app's own settings, from its environment: the kit's unit file sets the worker's (worker-<i>.env), the
 * instance template's `cachecluster-app-env` the rest. cachecluster's own settings come from
 * /etc/cachecluster/cachecluster.ini and CACHECLUSTER_* variables (loadConfig), not from here; so does the log level
 * (CACHECLUSTER_LOG_LEVEL, read by core's default logger).
 */
export interface AppSettings {
  /** APP_PORT: where this worker serves `GET /get?key=K`. */
  readonly appPort: number;
  readonly worker: number;
  /** BACKEND_URL: where the loader reads a key (`GET {BACKEND_URL}/render?key=K`); unset: rendered here. */
  readonly backendUrl: string | undefined;
  /** COMPUTE_API_URL (tests only): a Compute API other than compute.googleapis.com, e.g. http://10.128.0.2:80. */
  readonly computeApi: { apiEndpoint: string; port: number; protocol: "http" | "https" } | undefined;
  /** SWIM_OPTIONS: JSON of swimMembership options (e.g. shorter timings in tests). */
  readonly swim: SwimOptionsInput;
  /** STOP_TIMEOUT_MS: the longest graceful stop before the process exits anyway (keep under TimeoutStopSec). */
  readonly stopTimeoutMs: number;
}

export class SettingsError extends Error {
  readonly code = "APP_SETTINGS_INVALID";
  constructor(readonly problems: readonly string[]) {
    super(`invalid app settings:\n  ${problems.join("\n  ")}`);
    this.name = "SettingsError";
  }
}

export function readSettings(env: Readonly<Record<string, string | undefined>>): AppSettings {
  const problems: string[] = [];
  const port = (name: string, fallback?: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) problems.push(`${name}: expected a port from 1 to 65535, got ${JSON.stringify(raw)}`);
    return n;
  };
  const appPort = port("APP_PORT", 8080)!;
  const worker = Number(env.APP_WORKER_INDEX ?? 0);
  let computeApi: AppSettings["computeApi"];
  if (env.COMPUTE_API_URL !== undefined && env.COMPUTE_API_URL !== "") {
    try {
      const url = new URL(env.COMPUTE_API_URL);
      const protocol = url.protocol === "http:" ? "http" : "https";
      computeApi = { apiEndpoint: url.hostname, port: Number(url.port || (protocol === "http" ? 80 : 443)), protocol };
    } catch {
      problems.push(`COMPUTE_API_URL: expected a URL such as http://10.128.0.2:80, got ${JSON.stringify(env.COMPUTE_API_URL)}`);
    }
  }
  let swim: SwimOptionsInput = {};
  if (env.SWIM_OPTIONS !== undefined && env.SWIM_OPTIONS !== "") {
    try {
      swim = JSON.parse(env.SWIM_OPTIONS) as SwimOptionsInput;
    } catch (error) {
      problems.push(`SWIM_OPTIONS: expected JSON, ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const stopTimeoutMs = Number(env.STOP_TIMEOUT_MS ?? 15_000);
  if (!(stopTimeoutMs > 0)) problems.push(`STOP_TIMEOUT_MS: expected a positive number of ms, got ${JSON.stringify(env.STOP_TIMEOUT_MS)}`);
  if (problems.length > 0) throw new SettingsError(problems);
  return {
    appPort,
    worker: Number.isInteger(worker) ? worker : 0,
    backendUrl: env.BACKEND_URL === "" ? undefined : env.BACKEND_URL,
    computeApi,
    swim,
    stopTimeoutMs,
  };
}
