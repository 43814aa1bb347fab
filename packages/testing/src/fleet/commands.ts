// Host commands the simulator runs (ip, nft, nsenter): async for the normal path, sync for teardown on exit.
import { execFile, execFileSync } from "node:child_process";
import { FleetError } from "./errors.js";

export interface RunOptions {
  /** Written to the command's stdin. */
  readonly input?: string;
  /** Default 15 s. */
  readonly timeoutMs?: number;
}

/** Runs a command; resolves with its stdout, rejects with a FleetError carrying its stderr. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: options.timeoutMs ?? 15_000, maxBuffer: 16 << 20, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new FleetError(`${command} ${args.join(" ")} failed: ${stderr.trim() || error.message}`, { cause: error }));
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `run` without waiting for the event loop: for teardown in an exit handler. Never throws. */
export function runSync(command: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(command, args, { stdio: ["ignore", "pipe", "ignore"], timeout: 10_000, encoding: "utf8" });
  } catch {
    return undefined;
  }
}

export const ip = (...args: string[]): Promise<string> => run("ip", args);
