import { fork } from "node:child_process";
import type { Server } from "node:net";
import { fileURLToPath } from "node:url";
import { FleetError } from "./errors.js";

const LISTENER = fileURLToPath(new URL("./netns-listener.js", import.meta.url));

/**
 * A TCP socket listening on `host:port` inside network namespace `ns`, opened by a short-lived child process in
 * that namespace and passed to this process. Hand it to `http.Server.listen(handle)`: the server runs here, its
 * connections come from inside the namespace.
 */
export function listenInNamespace(ns: string, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = fork(LISTENER, [host, String(port)], {
      execPath: "ip",
      execArgv: ["netns", "exec", ns, process.execPath],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new FleetError(`no listening socket from namespace ${ns} within 10 s: ${stderr}`));
    }, 10_000);
    child.once("message", (message: { ok: boolean; error?: string }, handle: unknown) => {
      clearTimeout(timer);
      if (message.ok && handle !== undefined) resolve(handle as Server);
      else reject(new FleetError(`cannot listen on ${host}:${port} in namespace ${ns}: ${message.error ?? "no handle"}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new FleetError(`the listener in namespace ${ns} exited with ${code}: ${stderr}`));
    });
  });
}
