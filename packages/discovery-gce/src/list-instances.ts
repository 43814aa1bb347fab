import { classifyError } from "./classify-error.js";
import type { ComputeApi } from "./compute-api.js";
import { DiscoveryError } from "./errors.js";
import { withAbortableDeadline } from "./backoff.js";

const MAX_PAGES = 1_000;
const ZONE = /^[a-z]+-[a-z]+\d+-[a-z]$/;

export interface CallContext {
  readonly api: ComputeApi;
  readonly timeoutMs: number;
  /** Aborts every call (stop()). */
  readonly signal: AbortSignal;
  /** Counts each API call made. */
  readonly counted: () => void;
}

/** One API call with the request timeout; a call past it is cancelled. Errors become `DiscoveryError`s naming `call`. */
async function apiCall<T>(ctx: CallContext, call: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  ctx.counted();
  try {
    return await withAbortableDeadline(
      fn,
      ctx.timeoutMs,
      ctx.signal,
      () => new DiscoveryError("timeout", `${call} failed: no answer within the request timeout of ${ctx.timeoutMs} ms`),
    );
  } catch (error) {
    throw classifyError(call, error);
  }
}

function asList(items: unknown, call: string): unknown[] {
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) throw new DiscoveryError("malformed", `${call} answered items that are not a list: ${JSON.stringify(items)?.slice(0, 120)}`);
  return items;
}

/** The zones of `region` (`regions.get`), sorted. */
export async function regionZones(ctx: CallContext, project: string, region: string): Promise<string[]> {
  const call = `regions.get(projects/${project}/regions/${region})`;
  const urls = await apiCall(ctx, call, (signal) => ctx.api.regionZones({ project, region }, signal));
  const zones = asList(urls, call).map((url) => (typeof url === "string" ? url.slice(url.lastIndexOf("/") + 1) : ""));
  if (zones.length === 0 || zones.some((z) => !ZONE.test(z) || !z.startsWith(`${region}-`))) {
    throw new DiscoveryError("malformed", `${call} answered zones ${JSON.stringify(urls)?.slice(0, 200)}; expected zone URLs of ${region}`);
  }
  return zones.sort();
}

/** Every page of `instances.list` in one zone. */
async function listZone(ctx: CallContext, project: string, zone: string, filter: string, maxResults: number): Promise<{ found: unknown[]; calls: number }> {
  const call = `instances.list(projects/${project}/zones/${zone})`;
  const found: unknown[] = [];
  let pageToken: string | undefined;
  let calls = 0;
  do {
    calls += 1;
    const token = pageToken;
    const page = await apiCall(ctx, call, (signal) =>
      ctx.api.list({ project, zone, filter, maxResults, ...(token === undefined ? {} : { pageToken: token }) }, signal),
    );
    found.push(...asList(page.items, call));
    if (page.nextPageToken !== undefined && page.nextPageToken === pageToken) {
      throw new DiscoveryError("malformed", `${call} answered the same nextPageToken twice`);
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined && calls < MAX_PAGES);
  return { found, calls };
}

/**
 * Every page of `instances.list` in each zone (zones in parallel): the raw instances and the calls it took. The
 * first zone to fail cancels the others' calls: the refresh has failed anyway.
 */
export async function listZones(
  ctx: CallContext,
  project: string,
  zones: readonly string[],
  filter: string,
  maxResults: number,
): Promise<{ raw: unknown[]; calls: number }> {
  const siblings = new AbortController();
  const onStop = (): void => siblings.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onStop();
  else ctx.signal.addEventListener("abort", onStop, { once: true });
  const zoneCtx: CallContext = { ...ctx, signal: siblings.signal };
  try {
    const perZone = await Promise.all(
      zones.map((zone) =>
        listZone(zoneCtx, project, zone, filter, maxResults).catch((error: unknown) => {
          siblings.abort(error);
          throw error;
        }),
      ),
    );
    return { raw: perZone.flatMap((z) => z.found), calls: perZone.reduce((n, z) => n + z.calls, 0) };
  } finally {
    ctx.signal.removeEventListener("abort", onStop);
  }
}
