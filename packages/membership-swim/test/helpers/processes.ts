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
  readonly events: { event: string; id: string; state: string; at: number }[] = [];
  readonly #ready: Promise<void>;

  constructor(name: string, join: readonly string[], options: object = {}) {
    this.name = name;
    this.child = spawn(process.execPath, [script, name, join.length === 0 ? "-" : join.join(","), JSON.stringify(options)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: this.child.stdout! });
    this.#ready = new Promise((resolve, reject) => {
      this.child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
      lines.on("line", (line) => {
        const msg = JSON.parse(line) as { ready?: number; members?: string[]; event?: string; id?: string; state?: string; at?: number };
        if (msg.ready !== undefined) {
          this.port = msg.ready;
          resolve();
        }
        if (msg.members !== undefined) this.members = msg.members;
        if (msg.event !== undefined) this.events.push({ event: msg.event, id: msg.id!, state: msg.state!, at: msg.at! });
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

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.kill(signal);
    await exited;
  }
}
