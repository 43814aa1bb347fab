import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const script = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/swim-process.js");

/** A member running in a child process (test/fixtures/swim-process.ts). */
export class MemberProcess {
  readonly name: string;
  readonly child: ChildProcess;
  port = 0;
  members: string[] = [];
  readonly events: { event: string; id: string; state: string; at: number; cacheUrl?: string; meta?: string }[] = [];
  /** A Go member's join error (memberlist.Join), and its log lines with `-json-log`. */
  joinError: string | undefined;
  readonly logs: string[] = [];
  /** Members this one started to suspect after a failed probe (a Go member's need `-json-log`). */
  readonly suspects: { id: string; at: number }[] = [];
  /** A cachecluster member's failure-detection counters, as last printed. */
  stats: Record<string, number> = {};
  /** Stalls it went into (after "arm-stop"/"arm-busy" on stdin). */
  readonly stalls: { kind: string; at: number }[] = [];
  readonly #ready: Promise<void>;

  /**
   * A cachecluster member (node) or, with `goBinary`, a Go memberlist member taking `goArgs`; `launcher` runs
   * it through another command (e.g. `["nice", "-n", "10"]`).
   */
  constructor(name: string, join: readonly string[], options: object = {}, go?: { binary: string; args: readonly string[] }, launcher: readonly string[] = []) {
    this.name = name;
    const args =
      go === undefined
        ? [script, name, join.length === 0 ? "-" : join.join(","), JSON.stringify(options)]
        : ["-name", name, ...(join.length === 0 ? [] : ["-join", join.join(",")]), ...go.args];
    const command = [go === undefined ? process.execPath : go.binary, ...args];
    const [file = "", ...rest] = [...launcher, ...command];
    this.child = spawn(file, rest, { stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdin!.on("error", () => {});
    const lines = createInterface({ input: this.child.stdout! });
    this.#ready = new Promise((resolve, reject) => {
      this.child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
      lines.on("line", (line) => {
        let msg: {
          ready?: number;
          members?: string[];
          event?: string;
          id?: string;
          state?: string;
          at?: number;
          cacheUrl?: string;
          meta?: string;
          joinError?: string;
          log?: string;
          suspect?: string;
          stats?: Record<string, number>;
          stalled?: string;
        };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return;
        }
        if (msg.ready !== undefined) {
          this.port = msg.ready;
          resolve();
        }
        if (msg.members !== undefined) this.members = msg.members;
        if (msg.joinError !== undefined) this.joinError = msg.joinError;
        if (msg.log !== undefined) {
          this.logs.push(msg.log);
          const suspect = /Suspect (\S+) has failed, no acks received/.exec(msg.log)?.[1];
          if (suspect !== undefined) this.suspects.push({ id: suspect, at: Date.now() });
        }
        if (msg.suspect !== undefined) this.suspects.push({ id: msg.suspect, at: msg.at ?? Date.now() });
        if (msg.stats !== undefined) this.stats = msg.stats;
        if (msg.stalled !== undefined) this.stalls.push({ kind: msg.stalled, at: msg.at ?? Date.now() });
        if (msg.event !== undefined) {
          this.events.push({
            event: msg.event,
            id: msg.id!,
            state: msg.state!,
            at: msg.at!,
            ...(msg.cacheUrl === undefined ? {} : { cacheUrl: msg.cacheUrl }),
            ...(msg.meta === undefined ? {} : { meta: msg.meta }),
          });
        }
      });
    });
    this.#ready.catch(() => {});
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** A command line on its stdin (the stall hooks: "arm-stop", "arm-busy <ms>"). */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.kill(signal);
    await exited;
  }
}
