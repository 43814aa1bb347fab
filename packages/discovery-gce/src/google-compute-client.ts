import type { ComputeApi, ComputeEndpoint } from "./compute-api.js";
import { CredentialsError } from "./credentials-error.js";
import type { ComputeClients } from "./load-compute.js";

/** Call options for every request: one attempt (discovery does its own backoff), manual paging. */
const CALL_OPTIONS = { retry: null, autoPaginate: false } as const;

/** The part of a generated client this module reaches into: its gax calls, which return cancellable promises. */
interface GaxClient {
  innerApiCalls: Record<string, ((...args: unknown[]) => unknown) | undefined>;
}

/**
 * Runs `call` (a method of `client`), keeping the cancellable promise its gax call returns: the generated method
 * chains a `.then` onto it, which drops `cancel()`. Cancelling aborts the HTTP request, which closes its socket; the
 * REST transport ignores the `timeout` call option, so nothing else would. The swap is synchronous (the generated
 * method calls its gax call before returning), so concurrent calls cannot see each other's.
 */
function cancellable<T>(client: GaxClient, method: string, call: () => Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  const calls = client.innerApiCalls;
  const original = calls[method];
  if (original === undefined) throw new Error(`@google-cloud/compute: no gax call ${method} (initialize() not run?)`);
  let ongoing: { cancel?: () => void } | undefined;
  calls[method] = (...args: unknown[]) => {
    const result = original(...args);
    ongoing = result as { cancel?: () => void };
    return result;
  };
  let promise: Promise<T>;
  try {
    promise = call();
  } finally {
    calls[method] = original;
  }
  const cancel = (): void => ongoing?.cancel?.();
  signal.addEventListener("abort", cancel, { once: true });
  return promise.finally(() => signal.removeEventListener("abort", cancel));
}

function pick(value: unknown, keys: readonly string[]): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((value as Record<string, unknown>)[k] !== undefined) out[k] = (value as Record<string, unknown>)[k];
  return out;
}

/**
 * An instance cut down to what discovery reads (and the metadata items it matches on: items such as startup
 * scripts can be large), so a page crosses to the main thread cheaply. Shapes are left as they are: validation
 * happens on the other side.
 */
export function slimInstance(instance: unknown, metadataKeys: ReadonlySet<string>): unknown {
  if (typeof instance !== "object" || instance === null || Array.isArray(instance)) return instance;
  const i = instance as Record<string, unknown>;
  const metadata = i.metadata as { items?: unknown } | undefined;
  const items = Array.isArray(metadata?.items)
    ? metadata.items.filter((item) => metadataKeys.has(String((item as { key?: unknown } | null)?.key)))
    : metadata?.items;
  return {
    name: i.name,
    status: i.status,
    zone: i.zone,
    tags: pick(i.tags, ["items"]),
    labels: i.labels,
    metadata: typeof metadata === "object" && metadata !== null ? { items } : metadata,
    networkInterfaces: Array.isArray(i.networkInterfaces) ? i.networkInterfaces.map((n) => pick(n, ["name", "networkIP"])) : i.networkInterfaces,
  };
}

export interface OpenOptions extends ComputeEndpoint {
  readonly project: string;
  /** Metadata keys discovery matches on: the only items a listed instance keeps. */
  readonly metadataKeys: readonly string[];
}

/**
 * `InstancesClient` (and, in region mode, `RegionsClient` sharing its credentials) of `@google-cloud/compute` on
 * its REST transport, wrapped as a {@link ComputeApi}. Credentials are looked up now (`initialize()`): without
 * any, this rejects with a `CredentialsError` (a `DiscoveryError` of kind `auth` once classified). (Left to the generated methods, the failed lookup
 * rejects a promise nobody handles, which ends the process.) A client whose lookup failed is not reused.
 */
export async function openGoogleCompute(compute: ComputeClients, options: OpenOptions): Promise<ComputeApi> {
  const clientOptions = {
    fallback: true,
    // Without it, google-auth-library looks the project up itself, spawning `gcloud config config-helper` (~0.5-1 s).
    projectId: options.project,
    ...(options.apiEndpoint === undefined ? {} : { apiEndpoint: options.apiEndpoint }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
  };
  // gcp-metadata remembers "no metadata server" for the life of the process: a new attempt must look again (the
  // server may only have been unreachable early in the boot).
  (await import("gcp-metadata")).resetIsAvailableCache();
  const instances = new compute.InstancesClient(clientOptions);
  try {
    await instances.initialize();
  } catch (error) {
    throw new CredentialsError(`no credentials: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const metadataKeys = new Set(options.metadataKeys);
  let regions: InstanceType<ComputeClients["RegionsClient"]> | undefined;
  return {
    async list(request, signal) {
      const [, , raw] = await cancellable(instances as unknown as GaxClient, "list", () => instances.list({ ...request }, CALL_OPTIONS), signal);
      const response = raw as { items?: unknown; nextPageToken?: string | null } | null | undefined;
      const token = response?.nextPageToken;
      const items = Array.isArray(response?.items) ? response.items.map((i) => slimInstance(i, metadataKeys)) : response?.items;
      return { items, nextPageToken: typeof token === "string" && token !== "" ? token : undefined };
    },
    async regionZones(request, signal) {
      if (regions === undefined) {
        const client = new compute.RegionsClient({ ...clientOptions, auth: instances.auth });
        await client.initialize();
        regions = client;
      }
      const client = regions;
      const [region] = await cancellable(client as unknown as GaxClient, "get", () => client.get({ ...request }, CALL_OPTIONS), signal);
      return (region as { zones?: unknown } | null | undefined)?.zones;
    },
    async close() {
      await Promise.all([instances.close(), regions?.close()]);
    },
  };
}
