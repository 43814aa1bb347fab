// What the simulator and its load-balancer agent (lb-agent.ts, a process in the fleet's `lb` namespace) say
// to each other over IPC.

export interface LoadOptions {
  /** Gets per second, spread over the targets round-robin. */
  readonly rate: number;
  /** Most gets in flight at once; a get that would exceed it is counted as `skipped`. */
  readonly concurrency: number;
  readonly keys: number;
  /** Zipf exponent of the key popularity. */
  readonly zipfS: number;
  /** Per-get deadline. */
  readonly timeoutMs: number;
  /** Bounds: the load stops by itself after this many gets or this long, whichever comes first. */
  readonly maxGets: number;
  readonly maxMs: number;
  readonly seed: number;
  /** The value the backend serves for a key is this long. */
  readonly valueBytes: number;
}

export interface LoadTarget {
  /** VM and worker, e.g. `cache-x7k2/0`. */
  readonly name: string;
  /** App URL, e.g. `http://10.128.0.12:8080`. */
  readonly url: string;
}

export interface LoadFailure {
  /** ms since the phase began. */
  readonly at: number;
  readonly target: string;
  readonly key: string;
  readonly error: string;
}

export interface PhaseReport {
  readonly phase: string;
  readonly durationMs: number;
  readonly gets: number;
  readonly ok: number;
  readonly failed: number;
  /** Gets not sent because `concurrency` gets were in flight. */
  readonly skipped: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The first failures (at most 20), and the times of the first and last (ms since the phase began). */
  readonly failures: readonly LoadFailure[];
  readonly firstFailureAt: number | null;
  readonly lastFailureAt: number | null;
}

/** Phases whose name starts with this count in the total's gets and failures, not in its latencies. */
export const WARM_UP = "warm-up";

export interface LoadReport {
  readonly phases: readonly PhaseReport[];
  /** Every phase together (the latencies of warm-up phases left out). */
  readonly total: PhaseReport;
  /** Why the load ended: `stopped` (asked to), `max-gets` or `max-ms` (a bound was reached). */
  readonly endedBy: "stopped" | "max-gets" | "max-ms";
}

export interface BackendCounts {
  /** Keys loaded at least once. */
  readonly keys: number;
  /** Loads in all. */
  readonly loads: number;
}

export interface ProbeResult {
  readonly url: string;
  /** 0 when the request failed. */
  readonly status: number;
  readonly body: string;
  readonly error: string | null;
  readonly ms: number;
}

export type AgentCommand =
  | { readonly id: number; readonly cmd: "backend"; readonly port: number; readonly delayMs: number; readonly valueBytes: number }
  | { readonly id: number; readonly cmd: "backend-counts" }
  | { readonly id: number; readonly cmd: "targets"; readonly targets: readonly LoadTarget[] }
  | { readonly id: number; readonly cmd: "load-start"; readonly options: LoadOptions; readonly phase: string }
  | { readonly id: number; readonly cmd: "phase"; readonly phase: string }
  | { readonly id: number; readonly cmd: "load-stop" }
  | { readonly id: number; readonly cmd: "probe"; readonly urls: readonly string[]; readonly timeoutMs: number; readonly from: string | undefined };

export type AgentReply =
  { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

/** The value the backend serves for `key`: deterministic, so the load balancer can check every answer. */
export function backendValue(key: string, bytes: number): string {
  const head = `value-of:${key}:`;
  return head.length >= bytes ? head : head.padEnd(bytes, "#");
}
