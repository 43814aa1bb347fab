import type * as Compute from "@google-cloud/compute";
import type { GceDiscoverySettings } from "./options.js";

export interface ListRequest {
  readonly project: string;
  readonly zone: string;
  readonly filter: string;
  readonly maxResults: number;
  readonly pageToken?: string;
}

export interface AggregatedListRequest {
  readonly project: string;
  readonly filter: string;
  readonly maxResults: number;
}

/** One page of `instances.list`, as the API answered it (not yet validated). */
export interface InstancePage {
  readonly items: unknown;
  readonly nextPageToken: string | undefined;
}

/**
 * The two Compute API calls discovery makes, narrowed so tests can substitute them. The default,
 * {@link googleComputeApi}, wraps `InstancesClient` of `@google-cloud/compute`, loaded on first use.
 */
export interface ComputeApi {
  /** One page of `instances.list` in one zone. */
  list(request: ListRequest, timeoutMs: number): Promise<InstancePage>;
  /** `instances.aggregatedList`, every page: `[scope, instances]` per zone and page, e.g. `["zones/us-central1-b", [...]]`. */
  aggregatedList(request: AggregatedListRequest, timeoutMs: number): AsyncIterable<readonly [string, unknown]>;
  close(): Promise<void>;
}

/** `project` is the resolved project: given to the client, it spares google-auth-library its own project lookup. */
export type ComputeApiFactory = (settings: GceDiscoverySettings, project: string) => Promise<ComputeApi>;

/** Call options for every request: one attempt (discovery does its own backoff), a deadline, manual paging. */
function callOptions(timeoutMs: number): { retry: null; timeout: number; autoPaginate: false } {
  return { retry: null, timeout: timeoutMs, autoPaginate: false };
}

let computeModule: Promise<typeof Compute> | undefined;

/**
 * Imports `@google-cloud/compute` once. Its evaluation keeps the event loop busy for about a second, so
 * `GceDiscovery.start()` calls this before the cluster starts membership: a node that stalls after it began
 * gossiping would be suspected by its peers.
 */
export function loadGoogleCompute(): Promise<typeof Compute> {
  computeModule ??= import("@google-cloud/compute");
  return computeModule;
}

/**
 * `InstancesClient` from `@google-cloud/compute` (REST transport), imported on first call: a cold import
 * costs about a second, which start-up does not pay. Credentials: Application Default Credentials
 * (on GCE the metadata server's service-account token).
 */
export const googleComputeApi: ComputeApiFactory = async (settings, project) => {
  const { InstancesClient } = await loadGoogleCompute();
  const client = new InstancesClient({
    fallback: true,
    // Without it, google-auth-library looks the project up itself, spawning `gcloud config config-helper` (~0.5-1 s).
    projectId: project,
    ...(settings.apiEndpoint === undefined ? {} : { apiEndpoint: settings.apiEndpoint }),
    ...(settings.port === undefined ? {} : { port: settings.port }),
    ...(settings.protocol === undefined ? {} : { protocol: settings.protocol }),
  });
  return {
    async list(request, timeoutMs) {
      const [, , raw] = await client.list({ ...request }, callOptions(timeoutMs));
      const response = raw as { items?: unknown; nextPageToken?: string | null } | null | undefined;
      const token = response?.nextPageToken;
      return { items: response?.items, nextPageToken: typeof token === "string" && token !== "" ? token : undefined };
    },
    aggregatedList(request, timeoutMs) {
      const iterable = client.aggregatedListAsync({ ...request, returnPartialSuccess: false }, callOptions(timeoutMs));
      return {
        async *[Symbol.asyncIterator]() {
          for await (const [scope, scoped] of iterable) {
            yield [scope, (scoped as { instances?: unknown } | null | undefined)?.instances] as const;
          }
        },
      };
    },
    async close() {
      await client.close();
    },
  };
};
