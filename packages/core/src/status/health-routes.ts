import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpRoute } from "../interfaces/transport.js";

/** What `cluster.health()` answers. */
export interface HealthStatus {
  /** The process serves (false once the cluster is stopping or stopped). */
  readonly live: boolean;
  /** Worth sending traffic to: listening, and joined, deliberately local, or alone past `[cluster] join_timeout`. */
  readonly ready: boolean;
  /** Why, in words, e.g. `joined: 4 peers on the ring` or `joining: discovery has delivered no list yet`. */
  readonly reason: string;
}

/**
 * `GET /healthz` (liveness: 200 while the cluster is not stopped, for MIG autohealing) and `GET /readyz`
 * (readiness: 200 when ready, else 503, for load balancers), each with a small JSON body
 * `{ "status": "ok" | "unavailable", "reason": "..." }`. GET and HEAD; the body is omitted for HEAD.
 * `cluster.listen()` mounts them on the cache server; to serve them from your own server:
 * `const [healthz, readyz] = healthRoutes(cluster)` and call `healthz.handle(req, res)` for its path.
 */
export function healthRoutes(source: { health(): HealthStatus }, paths: { live?: string; ready?: string } = {}): [HttpRoute, HttpRoute] {
  const live = paths.live ?? "/healthz";
  const ready = paths.ready ?? "/readyz";
  return [route(live, () => source.health(), "live"), route(ready, () => source.health(), "ready")];
}

function route(path: string, health: () => HealthStatus, which: "live" | "ready"): HttpRoute {
  return {
    prefix: path,
    handle(req: IncomingMessage, res: ServerResponse) {
      const target = (req.url ?? "/").replace(/[?#].*$/, "");
      let status: number;
      let body: Record<string, unknown>;
      if (target !== path) {
        status = 404;
        body = { error: "not found", path: target };
      } else if (req.method !== "GET" && req.method !== "HEAD") {
        status = 405;
        body = { error: "method not allowed" };
      } else {
        const h = health();
        const ok = which === "live" ? h.live : h.ready;
        status = ok ? 200 : 503;
        body = { status: ok ? "ok" : "unavailable", reason: which === "live" && ok ? "live" : h.reason };
      }
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "content-length": String(Buffer.byteLength(text)),
        "cache-control": "no-store",
        ...(status === 405 ? { allow: "GET, HEAD" } : {}),
      });
      res.end(req.method === "HEAD" ? undefined : text);
    },
  };
}
