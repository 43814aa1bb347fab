import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe } from "../errors.js";
import type { HttpRoute } from "../interfaces/transport.js";
import type { ClusterMetrics } from "../interfaces/cache-cluster.js";
import type { ClusterStatus } from "./cluster-status.js";
import { renderStatusPage } from "./status-page.js";

/** Path prefix of the status page, its JSON and the metrics on the cache server. */
export const STATUS_PREFIX = "/_cachecluster/";

export interface StatusRouteSource {
  status(): ClusterStatus;
  readonly metrics: ClusterMetrics;
}

/**
 * `/_cachecluster/status` (HTML), `/_cachecluster/status.json`, `/_cachecluster/metrics` (Prometheus);
 * `/_cachecluster/` redirects to the page; any other path under the prefix is a 404 with a JSON body.
 * GET and HEAD only (405 otherwise). Failures answer 500 and never escape into the server.
 */
export function statusRoute(source: StatusRouteSource): HttpRoute {
  return {
    prefix: STATUS_PREFIX,
    async handle(req, res) {
      const path = pathOf(req);
      if (!allowMethod(req, res)) return;
      try {
        switch (path) {
          case "/_cachecluster/":
          case "/_cachecluster":
            res.writeHead(302, { location: "/_cachecluster/status", "cache-control": "no-store" });
            res.end();
            return;
          case "/_cachecluster/status": {
            const nonce = randomBytes(16).toString("base64");
            send(req, res, 200, "text/html; charset=utf-8", renderStatusPage(source.status(), nonce), {
              "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
              "referrer-policy": "no-referrer",
            });
            return;
          }
          case "/_cachecluster/status.json":
            send(req, res, 200, "application/json; charset=utf-8", JSON.stringify(source.status()));
            return;
          case "/_cachecluster/metrics":
            await sendMetrics(req, res, source.metrics);
            return;
          default:
            sendJson(req, res, 404, {
              error: "not found",
              path,
              routes: ["/_cachecluster/status", "/_cachecluster/status.json", "/_cachecluster/metrics"],
            });
        }
      } catch (error) {
        fail(req, res, error);
      }
    },
  };
}

/** Prometheus metrics on one more exact path, e.g. `/metrics` (the default scrape path). */
export function metricsRoute(metrics: ClusterMetrics, path: string): HttpRoute {
  return {
    prefix: path,
    async handle(req, res) {
      if (pathOf(req) !== path) {
        sendJson(req, res, 404, { error: "not found", path: pathOf(req) });
        return;
      }
      if (!allowMethod(req, res)) return;
      try {
        await sendMetrics(req, res, metrics);
      } catch (error) {
        fail(req, res, error);
      }
    },
  };
}

async function sendMetrics(req: IncomingMessage, res: ServerResponse, metrics: ClusterMetrics): Promise<void> {
  const text = await metrics.metrics();
  send(req, res, 200, metrics.contentType, text);
}

function pathOf(req: IncomingMessage): string {
  const raw = req.url ?? "/";
  const cut = raw.search(/[?#]/);
  return cut === -1 ? raw : raw.slice(0, cut);
}

function allowMethod(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "GET" || req.method === "HEAD") return true;
  sendJson(req, res, 405, { error: "method not allowed", method: req.method ?? "" }, { allow: "GET, HEAD" });
  return false;
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(req, res, status, "application/json; charset=utf-8", JSON.stringify(body), headers);
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(body, "utf8");
  res.writeHead(status, {
    "content-type": type,
    "content-length": String(buf.byteLength),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(req.method === "HEAD" ? undefined : buf);
}

function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(req, res, 500, { error: "internal error", message: describe(error) });
}
