import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { buildGoProgram } from "@cachecluster/testing/go";

/** What packages/testing/go/memberlist-delegate prints, one JSON object a line. */
export interface GoDelegateLine {
  ready?: number;
  members?: string[];
  msg?: string;
  remoteState?: string;
  join?: boolean;
  mergeRejected?: string[];
  aliveRejected?: string;
  conflict?: { name: string; existing: string; other: string };
  joinError?: string;
  sendError?: string;
}

/** A Go memberlist 0.2.2 member with every delegate (packages/testing/go/memberlist-delegate), driven over stdin. */
export class GoDelegate {
  readonly name: string;
  readonly lines: GoDelegateLine[] = [];
  members: string[] = [];
  port = 0;
  readonly #child: ChildProcess;
  readonly #ready: Promise<void>;

  private constructor(name: string, binary: string, args: readonly string[]) {
    this.name = name;
    this.#child = spawn(binary, ["-name", name, ...args], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: this.#child.stdout! });
    this.#ready = new Promise((resolve, reject) => {
      this.#child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
      lines.on("line", (text) => {
        let line: GoDelegateLine;
        try {
          line = JSON.parse(text) as GoDelegateLine;
        } catch {
          return;
        }
        this.lines.push(line);
        if (line.members !== undefined) this.members = line.members;
        if (line.ready !== undefined) {
          this.port = line.ready;
          resolve();
        }
      });
    });
    this.#ready.catch(() => {});
  }

  /** Build (cached) and start one; resolves once it listens. */
  static async start(name: string, args: readonly string[] = []): Promise<GoDelegate> {
    const go = new GoDelegate(name, await buildGoProgram("memberlist-delegate"), args);
    await go.#ready;
    return go;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** A command (see main.go): `{ broadcast: "x" }`, `{ sendReliable: "x", to: name }`, `{ state: "x" }`, `{ join: addr }`. */
  command(cmd: Record<string, string>): void {
    this.#child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** The texts it received in NotifyMsg. */
  messages(): string[] {
    return this.lines.flatMap((l) => (l.msg === undefined ? [] : [l.msg]));
  }

  async kill(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = once(this.#child, "exit");
    this.#child.kill("SIGKILL");
    await exited;
  }
}
