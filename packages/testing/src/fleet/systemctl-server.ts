// The VM end of the systemctl shim: an HTTP server on a unix socket (the shim runs `curl --unix-socket`), one
// per VM. `GET /systemctl?arg=...&arg=...` runs the command against the VM's UnitManager and answers its output
// with HTTP status 200 + systemctl's exit code.
import { rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { FleetError } from "./errors.js";
import type { UnitManager } from "./unit-manager.js";

function normalize(unit: string): string {
  return /\.(service|target|socket|timer|mount)$/.test(unit) || unit.includes("*") ? unit : `${unit}.service`;
}

/** Runs one systemctl command line; returns [exit code, output]. */
export async function systemctl(units: UnitManager, args: readonly string[]): Promise<[number, string]> {
  const flags = args.filter((a) => a.startsWith("-"));
  const [verb, ...rest] = args.filter((a) => !a.startsWith("-"));
  const names = rest.map(normalize);
  const known = new Set(["--now", "-q", "--quiet", "--no-pager", "--no-block", "--system"]);
  const unknown = flags.filter((f) => !known.has(f));
  if (unknown.length > 0) return [1, `systemctl (simulated): unsupported option ${unknown.join(" ")}\n`];
  const each = async (fn: (name: string) => Promise<void> | void, list = names): Promise<[number, string]> => {
    try {
      for (const name of list) await fn(name);
      return [0, ""];
    } catch (error) {
      return [5, `${error instanceof Error ? error.message : String(error)}\n`];
    }
  };
  switch (verb) {
    case "daemon-reload":
      units.daemonReload();
      return [0, ""];
    case "enable":
      return each(async (n) => {
        units.enable(n);
        if (flags.includes("--now")) await units.start(n);
      });
    case "start":
      return each((n) => units.start(n));
    case "restart":
      return each((n) => units.restart(n));
    case "stop":
      return each(
        (n) => units.stop(n),
        names.flatMap((n) => (n.includes("*") ? units.match(n) : [n])),
      );
    case "is-active":
    case "status": {
      const states = names.map((n) => units.status(n));
      const out = states.map((s) => (verb === "status" ? `${s.name} - ${s.state}${s.pid === undefined ? "" : ` (pid ${s.pid})`}` : s.state)).join("\n");
      return [states.every((s) => s.state === "active") ? 0 : 3, `${out}\n`];
    }
    case "is-failed": {
      const states = names.map((n) => units.status(n).state);
      return [states.some((s) => s === "failed") ? 0 : 1, `${states.join("\n")}\n`];
    }
    default:
      return [1, `systemctl (simulated): unsupported command ${verb ?? "(none)"}\n`];
  }
}

/** Serves the systemctl shim on `socketPath`. */
export function serveSystemctl(units: UnitManager, socketPath: string): Promise<Server> {
  rmSync(socketPath, { force: true });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://systemd");
    if (url.pathname !== "/systemctl") {
      res.writeHead(404).end("not found\n");
      return;
    }
    systemctl(units, url.searchParams.getAll("arg")).then(
      ([code, out]) => res.writeHead(200 + Math.min(code, 99), { "content-type": "text/plain" }).end(out),
      (error: unknown) => res.writeHead(201, { "content-type": "text/plain" }).end(`${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(new FleetError(`cannot serve systemctl on ${socketPath}: ${error.message}`)));
    server.listen(socketPath, () => resolve(server));
  });
}
