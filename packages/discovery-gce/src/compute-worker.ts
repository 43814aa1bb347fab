// The Compute API worker thread: runs `@google-cloud/compute` (a ~0.5 s import and a ~1 s client construction,
// both synchronous) away from the main thread, whose event loop also runs SWIM. Answers the requests of
// compute-worker-protocol.ts; started by ComputeWorker (compute-worker-host.ts).
import { parentPort } from "node:worker_threads";
import type { ComputeApi } from "./compute-api.js";
import { type WorkerReply, type WorkerRequest, serializeError } from "./compute-worker-protocol.js";
import { openGoogleCompute } from "./google-compute-client.js";
import { type ComputeClients, loadComputeClients } from "./load-compute.js";

const port = parentPort;
if (port === null) throw new Error("compute-worker.js runs as a worker thread only");

let compute: Promise<ComputeClients> | undefined;
let warm: Promise<void> | undefined;

const load = (): Promise<ComputeClients> => (compute ??= loadComputeClients());

/**
 * Imports the module and builds (and drops) one client ahead of use: building the first client parses the protos
 * (~1 s), which gax then caches for every later one. Neither touches the network.
 */
function preload(): Promise<void> {
  warm ??= load().then((module) =>
    new module.InstancesClient({ fallback: true, apiEndpoint: "127.0.0.1", port: 9, protocol: "http", projectId: "preload-0" }).close(),
  );
  return warm;
}

const clients = new Map<number, ComputeApi>();
const calls = new Map<number, AbortController>();

function post(reply: WorkerReply): void {
  port?.postMessage(reply);
}

// A Google library rejecting a promise nobody handles must not take the worker (and every pending call) down.
process.on("unhandledRejection", (reason) => post({ op: "warn", message: `unhandled rejection in the Compute API worker: ${String(reason)}` }));

async function clientFor(id: number): Promise<ComputeApi> {
  const client = clients.get(id);
  if (client === undefined) throw new Error(`Compute API client ${id} is not open`);
  return client;
}

async function run(request: Exclude<WorkerRequest, { op: "cancel" }>, signal: AbortSignal): Promise<unknown> {
  switch (request.op) {
    case "load":
      await preload();
      return undefined;
    case "open":
      clients.set(request.client, await openGoogleCompute(await load(), request.options));
      return undefined;
    case "list":
      return (await clientFor(request.client)).list(request.request, signal);
    case "regionZones":
      return (await clientFor(request.client)).regionZones(request.request, signal);
    case "close": {
      const client = clients.get(request.client);
      clients.delete(request.client);
      await client?.close();
      return undefined;
    }
  }
}

port.on("message", (request: WorkerRequest) => {
  if (request.op === "cancel") {
    calls.get(request.target)?.abort();
    return;
  }
  const controller = new AbortController();
  calls.set(request.id, controller);
  run(request, controller.signal)
    .then(
      (value) => post({ id: request.id, ok: true, value }),
      (error: unknown) => post({ id: request.id, ok: false, error: serializeError(error) }),
    )
    .finally(() => calls.delete(request.id));
});
