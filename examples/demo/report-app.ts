import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { CacheCluster, Group } from "@cachecluster/core";

/**
 * The demo's application: a report service whose reports are expensive to render (a slow "database
 * query" plus CPU work), cached with cachecluster. It counts every render per key, so the demo can
 * prove each key is rendered once in the whole cluster.
 */
export interface ReportApp {
  readonly group: Group;
  readonly renders: Map<string, number>;
  readonly server: Server;
}

const RENDER_MS = 60;

async function renderReport(key: string, signal: AbortSignal): Promise<Uint8Array> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, RENDER_MS);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new Error("render aborted"));
      },
      { once: true },
    );
  });
  let digest = createHash("sha256").update(key).digest();
  for (let i = 0; i < 2000; i++) digest = createHash("sha256").update(digest).digest();
  const body = JSON.stringify({ report: key, rows: 64, checksum: digest.toString("hex"), renderedBy: process.env.DEMO_NODE_NAME });
  return new TextEncoder().encode(body.padEnd(2048, " "));
}

export function reportApp(cluster: CacheCluster): ReportApp {
  const renders = new Map<string, number>();
  const group = cluster.group("reports", {
    maxBytes: 32 << 20,
    load: (key, { signal }) => {
      renders.set(key, (renders.get(key) ?? 0) + 1);
      return renderReport(key, signal);
    },
  });
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (!path.startsWith("/report/")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("try /report/<id>\n");
      return;
    }
    const key = decodeURIComponent(path.slice("/report/".length));
    group.get(key).then(
      (value) => res.writeHead(200, { "content-type": "application/json" }).end(value),
      (error: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  server.keepAliveTimeout = 30_000;
  return { group, renders, server };
}
