// What a MIG's health check asks a VM, and how it reads the answer. GCE's HTTP health check is healthy on a 200
// from `requestPath` on `port` within `timeout`.
//
// Core has no /readyz yet (it comes with issue 12). Until it does, `readiness` asks the status page's JSON on the
// same port and calls a node ready when it answers 200 and is `listening` (it turns to `stopping` when the node
// begins to leave). Switching to /readyz is this one function: return `{ path: check.requestPath, healthy:
// (status) => status === 200 }`.

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
  /** The path actually requested. */
  readonly path: string;
  healthy(status: number, body: string): boolean;
}

export function readiness(check: HealthCheck): Readiness {
  if (check.requestPath === "/readyz") {
    return {
      path: "/_cachecluster/status.json",
      healthy: (status, body) => {
        if (status !== 200) return false;
        try {
          return (JSON.parse(body) as { node?: { state?: string } }).node?.state === "listening";
        } catch {
          return false;
        }
      },
    };
  }
  return { path: check.requestPath, healthy: (status) => status === 200 };
}
