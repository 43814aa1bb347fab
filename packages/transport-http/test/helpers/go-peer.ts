import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

/** A running `packages/testing/go/groupcache-peer` process (golang/groupcache HTTPPool, one group). */
export class GoPeer {
  readonly process: ChildProcessWithoutNullStreams;
  readonly url: string;
  /** Keys loaded, from the process's JSON-line load events on stdout. */
  readonly loadEvents: string[];
  readonly #events: { event: string; [k: string]: unknown }[];
  readonly #waiters: (() => void)[] = [];
  stderr = "";

  private constructor(
    proc: ChildProcessWithoutNullStreams,
    url: string,
    events: { event: string; [k: string]: unknown }[],
    loadEvents: string[],
    waiters: (() => void)[],
  ) {
    this.process = proc;
    this.url = url;
    this.#events = events;
    this.loadEvents = loadEvents;
    this.#waiters = waiters;
  }

  /** Starts the binary on 127.0.0.1 port 0, peers to be given with `setPeers`. */
  static async start(binary: string, args: readonly string[] = []): Promise<GoPeer> {
    const proc = spawn(binary, ["-listen", "127.0.0.1:0", "-peers-stdin", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    const events: { event: string; [k: string]: unknown }[] = [];
    const loadEvents: string[] = [];
    const waiters: (() => void)[] = [];
    let stderr = "";
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: proc.stdout }).on("line", (line) => {
      let event: { event: string; [k: string]: unknown };
      try {
        event = JSON.parse(line) as { event: string; [k: string]: unknown };
      } catch {
        return;
      }
      events.push(event);
      if (event.event === "load" && typeof event.key === "string") loadEvents.push(event.key);
      for (const w of waiters.splice(0)) w();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`groupcache-peer did not start: ${stderr}`)), 10_000);
      const check = (): void => {
        const listening = events.find((e) => e.event === "listening");
        if (listening !== undefined) {
          clearTimeout(timer);
          resolve(String(listening.url));
        } else waiters.push(check);
      };
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`groupcache-peer exited with ${String(code)}: ${stderr}`));
      });
      check();
    });
    const peer = new GoPeer(proc, url, events, loadEvents, waiters);
    proc.stderr.on("data", (chunk: Buffer) => (peer.stderr += chunk.toString()));
    return peer;
  }

  /** Gives the peer list (the process sorts it and calls `pool.Set`); resolves once it is set. */
  async setPeers(peers: readonly string[]): Promise<void> {
    this.process.stdin.write(`${peers.join(",")}\n`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("groupcache-peer did not take the peer list")), 10_000);
      const check = (): void => {
        if (this.#events.some((e) => e.event === "ready")) {
          clearTimeout(timer);
          resolve();
        } else this.#waiters.push(check);
      };
      check();
    });
  }

  /** The value of `key` through the Go group (ring, peers, loader), as text. */
  async get(key: string): Promise<string> {
    const res = await fetch(`${this.url}/get?key=${encodeURIComponent(key)}`);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`Go peer ${this.url} /get ${JSON.stringify(key)}: ${res.status} ${body}`);
    return body;
  }

  /** Keys the Go loader ran for, in order (GET /loads). */
  async loads(): Promise<string[]> {
    const res = await fetch(`${this.url}/loads`);
    return (await res.json()) as string[];
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.process.once("exit", () => resolve()));
    this.process.kill("SIGKILL");
    await exited;
  }
}

/** A loopback port that was free a moment ago (for servers whose URL must be known before they start). */
export async function reservePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
