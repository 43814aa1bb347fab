import type { Logger } from "@cachecluster/core";
import { type ComputeApi, type ComputeApiFactory, endpointOf } from "./compute-api.js";
import { ComputeWorker } from "./compute-worker-host.js";
import { type OpenOptions, openGoogleCompute } from "./google-compute-client.js";
import { type ComputeClients, loadComputeClients } from "./load-compute.js";
import type { GceDiscoverySettings } from "./options.js";

let nextClient = 1;

function openOptions(settings: GceDiscoverySettings, project: string): OpenOptions {
  return { ...endpointOf(settings), project, metadataKeys: Object.keys(settings.metadata) };
}

async function openInWorker(settings: GceDiscoverySettings, project: string, logger: Logger): Promise<ComputeApi> {
  const host = ComputeWorker.shared();
  host.onWarn = (message) => logger.warn({}, `cachecluster/discovery-gce: ${message}`);
  const options = openOptions(settings, project);
  const client = nextClient++;
  let generation = await host.open(client, options);
  let closed = false;
  /** Reopens the client on a new worker when the one it lived in has gone. */
  const ready = async (): Promise<void> => {
    if (closed) throw new Error("the Compute API client is closed");
    if (host.generation !== generation) generation = await host.open(client, options);
  };
  return {
    async list(request, signal) {
      await ready();
      return host.call({ op: "list", client, request }, signal);
    },
    async regionZones(request, signal) {
      await ready();
      return host.call({ op: "regionZones", client, request }, signal);
    },
    async close() {
      if (closed) return;
      closed = true;
      await host.close(client, generation);
    },
  };
}

/**
 * The default {@link ComputeApiFactory}: `@google-cloud/compute` (REST transport, Application Default Credentials)
 * in a worker thread shared by the process. Its import and client construction keep a thread busy for ~1.5 s;
 * on the main thread that stall would make SWIM peers suspect this node. Calls are cancelled (their connections
 * closed) when their signal aborts. A running discovery holds the worker, so retries (e.g. without credentials)
 * do not load the module again.
 */
export const googleComputeApi: ComputeApiFactory = Object.assign(openInWorker, { hold: () => ComputeWorker.shared().hold() });

/** Loads `@google-cloud/compute` in the worker thread now, e.g. while the process starts (tests warm it up). */
export async function preloadGoogleCompute(): Promise<void> {
  await ComputeWorker.shared().load();
}

let computeModule: Promise<ComputeClients> | undefined;

/**
 * `@google-cloud/compute` on the calling thread, for hosts without worker threads. Its first use stalls the event
 * loop for ~1.5 s (import, then the client's proto loading): start it before anything timing-sensitive runs.
 */
export const inProcessComputeApi: ComputeApiFactory = async (settings, project): Promise<ComputeApi> => {
  computeModule ??= loadComputeClients();
  return openGoogleCompute(await computeModule, openOptions(settings, project));
};
