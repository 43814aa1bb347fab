import { SHARE_ENV, Worker } from "node:worker_threads";
import type { SerializedError, WorkerReply, WorkerRequest } from "./compute-worker-protocol.js";
import { DiscoveryError } from "./errors.js";
import type { OpenOptions } from "./google-compute-client.js";

/** How long the worker stays once unused (a stop()/start() or the next test reuses it). */
const LINGER_MS = 10_000;

/** An error from the worker again: an `Error` with the serialized fields, which `classifyError` reads as it would the original. */
function deserializeError(s: SerializedError): Error {
  const cause = s.cause === undefined ? undefined : deserializeError(s.cause);
  const error = Object.assign(new Error(s.message, cause === undefined ? {} : { cause }), {
    code: s.code,
    status: s.status,
    reason: s.reason,
    response: s.response,
    config: s.config,
  });
  error.name = s.name;
  if (s.stack !== undefined) error.stack = s.stack;
  return error;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/**
 * The one worker thread per process that runs `@google-cloud/compute` for every `GceDiscovery` in it (each with
 * clients of its own). Started on first use; it shares `process.env` with the main thread (the Google clients
 * read GCE_METADATA_HOST, GOOGLE_APPLICATION_CREDENTIALS ... at call time, as they would in process); it keeps the
 * process alive only while a call is pending (like a socket in flight), and ends `LINGER_MS` after it was last used:
 * no client open and no discovery holding it (see `hold`). If it dies, pending calls fail and the next call starts a new one (clients reopen, see `generation`).
 */
export class ComputeWorker {
  static #shared: ComputeWorker | undefined;
  #worker: Worker | undefined;
  #generation = 0;
  #nextId = 1;
  #clients = 0;
  #holders = 0;
  #linger: NodeJS.Timeout | undefined;
  readonly #pending = new Map<number, Pending>();
  #onWarn: (message: string) => void = () => {};

  static shared(): ComputeWorker {
    return (ComputeWorker.#shared ??= new ComputeWorker());
  }

  /** Where the worker's own warnings go (the last discovery's logger). */
  set onWarn(fn: (message: string) => void) {
    this.#onWarn = fn;
  }

  /** Clients open in the worker (tests: a stopped discovery leaves none). */
  get openClients(): number {
    return this.#clients;
  }

  /** Changes each time a new worker starts: clients opened on an earlier one are gone. */
  get generation(): number {
    return this.#generation;
  }

  /** Keeps the worker (once started) until the returned function is called: a running discovery holds it. */
  hold(): () => void {
    this.#holders += 1;
    this.#stopLinger();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#holders -= 1;
      this.#lingerIfUnused();
    };
  }

  /** Loads `@google-cloud/compute` in the worker (starting it if needed). */
  async load(): Promise<void> {
    await this.#call({ op: "load" });
    this.#lingerIfUnused();
  }

  /** Opens client `client` in the worker; resolves to the worker generation it lives in. */
  async open(client: number, options: OpenOptions): Promise<number> {
    this.#clients += 1;
    this.#stopLinger();
    const generation = this.#ensure();
    try {
      await this.#call({ op: "open", client, options });
    } catch (error) {
      this.#release(generation);
      throw error;
    }
    return generation;
  }

  async close(client: number, generation: number): Promise<void> {
    if (generation !== this.#generation) return;
    try {
      await this.#call({ op: "close", client });
    } finally {
      this.#release(generation);
    }
  }

  call<T>(request: Request, signal?: AbortSignal): Promise<T> {
    return this.#call(request, signal) as Promise<T>;
  }

  #release(generation: number): void {
    if (generation !== this.#generation) return;
    this.#clients = Math.max(0, this.#clients - 1);
    this.#lingerIfUnused();
  }

  #lingerIfUnused(): void {
    if (this.#clients > 0 || this.#holders > 0 || this.#worker === undefined) return;
    this.#stopLinger();
    this.#linger = setTimeout(() => {
      this.#linger = undefined;
      if (this.#clients === 0 && this.#holders === 0 && this.#pending.size === 0) void this.#terminate();
    }, LINGER_MS);
    this.#linger.unref();
  }

  #stopLinger(): void {
    if (this.#linger !== undefined) clearTimeout(this.#linger);
    this.#linger = undefined;
  }

  #ensure(): number {
    if (this.#worker !== undefined) return this.#generation;
    const worker = new Worker(new URL("./compute-worker.js", import.meta.url), { env: SHARE_ENV, name: "cachecluster-gce-compute" });
    worker.unref();
    this.#worker = worker;
    this.#generation += 1;
    worker.on("message", (reply: WorkerReply) => this.#onReply(reply));
    worker.on("error", (error) => this.#lost(worker, `failed: ${error.message}`, error));
    worker.on("exit", (code) => this.#lost(worker, `exited with code ${code}`));
    return this.#generation;
  }

  #call(request: Request, signal?: AbortSignal): Promise<unknown> {
    signal?.throwIfAborted();
    this.#ensure();
    const worker = this.#worker;
    if (worker === undefined) return Promise.reject(new DiscoveryError("unknown", "the Compute API worker thread could not start"));
    const id = this.#nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#pending.delete(id)) return;
        this.#refIfBusy();
        worker.postMessage({ op: "cancel", target: id } satisfies WorkerRequest);
        reject(signal?.reason as Error);
      };
      this.#pending.set(id, {
        resolve: (value) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#refIfBusy();
      worker.postMessage({ ...request, id });
    });
  }

  /** A pending call keeps the process alive, as its socket would in process; an idle worker does not. */
  #refIfBusy(): void {
    if (this.#pending.size > 0) this.#worker?.ref();
    else this.#worker?.unref();
  }

  #onReply(reply: WorkerReply): void {
    if ("op" in reply) {
      this.#onWarn(reply.message);
      return;
    }
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return; // cancelled meanwhile
    this.#pending.delete(reply.id);
    this.#refIfBusy();
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(deserializeError(reply.error));
  }

  #lost(worker: Worker, what: string, cause?: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#clients = 0;
    this.#stopLinger();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new DiscoveryError("unknown", `the Compute API worker thread ${what}`, { cause }));
  }

  async #terminate(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#worker = undefined;
    await worker.terminate();
  }
}
