import type { Logger } from "@cachecluster/core";
import type { GceDiscoverySettings } from "./options.js";

export interface ListRequest {
  readonly project: string;
  readonly zone: string;
  readonly filter: string;
  readonly maxResults: number;
  readonly pageToken?: string;
}

/** One page of `instances.list`, as the API answered it (not yet validated). */
export interface InstancePage {
  readonly items: unknown;
  readonly nextPageToken: string | undefined;
}

export interface RegionRequest {
  readonly project: string;
  readonly region: string;
}

/**
 * The Compute API calls discovery makes, narrowed so tests can substitute them. Each call takes a signal: when it
 * aborts (the request timeout, or `stop()`), the call is cancelled and its connection closed. The default,
 * {@link googleComputeApi}, runs `@google-cloud/compute` in a worker thread.
 */
export interface ComputeApi {
  /** One page of `instances.list` in one zone. */
  list(request: ListRequest, signal: AbortSignal): Promise<InstancePage>;
  /** `regions.get`: the region's `zones` field as the API answered it (resource URLs; not yet validated). */
  regionZones(request: RegionRequest, signal: AbortSignal): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Opens a client. `project` is the resolved project: given to the client, it spares google-auth-library its own
 * project lookup. Rejects (a `DiscoveryError` of kind `auth` once classified) when no credentials can be found.
 * `logger` takes what goes wrong outside any call. `hold`, where present, keeps what the factory shares warm (the
 * worker thread) from a discovery's start() to its stop(), also while no client is open (retries without credentials).
 */
export type ComputeApiFactory = ((settings: GceDiscoverySettings, project: string, logger: Logger) => Promise<ComputeApi>) & {
  readonly hold?: () => () => void;
};

/** Where the Google client sends its calls: the options of the same names (tests point them at the fake). */
export interface ComputeEndpoint {
  readonly apiEndpoint?: string | undefined;
  readonly port?: number | undefined;
  readonly protocol?: "http" | "https" | undefined;
}

export function endpointOf(settings: GceDiscoverySettings): ComputeEndpoint {
  return { apiEndpoint: settings.apiEndpoint, port: settings.port, protocol: settings.protocol };
}
