// What a MIG's health check asks a VM, and how it reads the answer. GCE's HTTP health check is healthy on a 200
// from `requestPath` on `port` within `timeout`: the kit's asks core's `/readyz` (503 with a JSON `reason` while
// the node joins or once it stops, see core's `healthRoutes`).

export interface HealthCheck {
  readonly name: string;
  readonly port: number;
  /** What the check's config says (the deployment kit's is /readyz). */
  readonly requestPath: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface Readiness {
  /** The path requested. */
  readonly path: string;
  healthy(status: number, body: string): boolean;
  /** Why a check failed, in words: the body's `reason` (core's `/readyz`), else the status. */
  why(status: number, body: string): string;
}

export function readiness(check: HealthCheck): Readiness {
  return {
    path: check.requestPath,
    healthy: (status) => status === 200,
    why: (status, body) => {
      try {
        const reason = (JSON.parse(body) as { reason?: unknown }).reason;
        if (typeof reason === "string") return `HTTP ${status}: ${reason}`;
      } catch {
        // not core's JSON: the status says it
      }
      return `HTTP ${status}`;
    },
  };
}
