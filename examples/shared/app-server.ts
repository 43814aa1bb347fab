import { createServer, type Server } from "node:http";
import type { Group } from "@cachecluster/core";

/** The application's own HTTP server: GET /{group}/{key} answers from the cache. Not the peer port. */
export function appServer(groups: Readonly<Record<string, Group>>): Server {
  return createServer((req, res) => {
    const [, name = "", ...rest] = (req.url ?? "/").split("?")[0]!.split("/");
    const group = groups[decodeURIComponent(name)];
    if (group === undefined || rest.length === 0) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`try /${Object.keys(groups)[0] ?? "group"}/some-key\n`);
      return;
    }
    const controller = new AbortController();
    res.on("close", () => controller.abort());
    group.get(decodeURIComponent(rest.join("/")), { signal: controller.signal }).then(
      (value) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(value),
      (error: unknown) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  });
}
