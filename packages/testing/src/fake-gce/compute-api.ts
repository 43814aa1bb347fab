import type { ServerResponse } from "node:http";
import { type FilterNode, FilterSyntaxError, evaluateFilter, parseFilter } from "./filter.js";
import { sendGoogleError } from "./google-error.js";
import { COMPUTE_BASE, type FakeInstance, instanceJson, regionOf } from "./instance.js";

/** What the Compute routes read from the fake. */
export interface ComputeState {
  readonly project: string;
  zones(): readonly string[];
  instances(): readonly FakeInstance[];
}

/** The Compute API's largest page (`maxResults` above it is a 400). */
export const MAX_RESULTS = 500;

const LIST = /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/instances\/?$/;
const GET = /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/;
const AGGREGATED = /^\/compute\/v1\/projects\/([^/]+)\/aggregated\/instances\/?$/;
const REGION = /^\/compute\/v1\/projects\/([^/]+)\/regions\/([^/]+)$/;

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(text), vary: "Origin, X-Origin, Referer" });
  res.end(text);
}

interface Page {
  readonly offset: number;
  readonly size: number;
  readonly filter: FilterNode | undefined;
}

function readPage(url: URL, res: ServerResponse): Page | undefined {
  const rawMax = url.searchParams.get("maxResults");
  const size = rawMax === null ? MAX_RESULTS : Number(rawMax);
  if (!Number.isInteger(size) || size < 0 || size > MAX_RESULTS) {
    sendGoogleError(res, 400, `Invalid value for field 'maxResults': '${rawMax}'. Must be less than or equal to ${MAX_RESULTS}`, "invalid");
    return undefined;
  }
  const rawFilter = url.searchParams.get("filter") ?? "";
  let filter: FilterNode | undefined;
  try {
    filter = parseFilter(rawFilter);
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) throw error;
    sendGoogleError(res, 400, `Invalid value for field 'filter': '${rawFilter}'. Invalid list filter expression.`, "invalid");
    return undefined;
  }
  const token = url.searchParams.get("pageToken");
  let offset = 0;
  if (token !== null && token !== "") {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    } catch {
      decoded = undefined;
    }
    const o = (decoded as { o?: unknown; f?: unknown } | undefined)?.o;
    const f = (decoded as { o?: unknown; f?: unknown } | undefined)?.f;
    if (typeof o !== "number" || f !== rawFilter) {
      sendGoogleError(res, 400, `Invalid value for field 'pageToken': '${token}'. Supplied page token is not valid for this request.`, "invalid");
      return undefined;
    }
    offset = o;
  }
  return { offset, size: size === 0 ? MAX_RESULTS : size, filter };
}

function nextToken(url: URL, next: number, total: number): Record<string, string> {
  if (next >= total) return {};
  const token = Buffer.from(JSON.stringify({ o: next, f: url.searchParams.get("filter") ?? "" })).toString("base64url");
  return { nextPageToken: token };
}

function byName(a: FakeInstance, b: FakeInstance): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * `regions.get`: the region of the fake's zones, with its zones as resource URLs (as the API answers them, sorted).
 * The quotas are a fixed sample; the fake does not enforce them.
 */
function answerRegion(state: ComputeState, project: string, region: string, res: ServerResponse): void {
  const zones = state
    .zones()
    .filter((z) => regionOf(z) === region)
    .sort();
  if (zones.length === 0) {
    sendGoogleError(res, 404, `The resource 'projects/${project}/regions/${region}' was not found`, "notFound");
    return;
  }
  sendJson(res, {
    kind: "compute#region",
    id: "1000",
    creationTimestamp: "1969-12-31T16:00:00.000-08:00",
    name: region,
    description: region,
    status: "UP",
    zones: zones.map((z) => `${COMPUTE_BASE}/projects/${project}/zones/${z}`),
    quotas: [
      { metric: "CPUS", limit: 24, usage: 0 },
      { metric: "INSTANCES", limit: 24, usage: 0 },
    ],
    selfLink: `${COMPUTE_BASE}/projects/${project}/regions/${region}`,
    supportsPzs: false,
  });
}

/** Answers the Compute instances routes and `regions.get`; false when the path is not one of them. */
export function handleCompute(state: ComputeState, url: URL, res: ServerResponse): boolean {
  const { pathname } = url;
  const region = REGION.exec(pathname);
  if (region) {
    const project = decodeURIComponent(region[1] ?? "");
    if (project !== state.project) sendGoogleError(res, 404, `The resource 'projects/${project}' was not found`, "notFound");
    else answerRegion(state, project, decodeURIComponent(region[2] ?? ""), res);
    return true;
  }
  const list = LIST.exec(pathname);
  const single = GET.exec(pathname);
  const aggregated = AGGREGATED.exec(pathname);
  const project = decodeURIComponent((list ?? single ?? aggregated)?.[1] ?? "");
  if (!list && !single && !aggregated) return false;
  if (project !== state.project) {
    sendGoogleError(res, 404, `The resource 'projects/${project}' was not found`, "notFound");
    return true;
  }
  const zone = decodeURIComponent((list ?? single)?.[2] ?? "");
  if ((list || single) && !state.zones().includes(zone)) {
    sendGoogleError(res, 404, `The resource 'projects/${project}/zones/${zone}' was not found`, "notFound");
    return true;
  }
  if (single) {
    const name = decodeURIComponent(single[3] ?? "");
    const found = state.instances().find((i) => i.zone === zone && i.name === name);
    if (found === undefined) sendGoogleError(res, 404, `The resource 'projects/${project}/zones/${zone}/instances/${name}' was not found`, "notFound");
    else sendJson(res, instanceJson(project, found));
    return true;
  }
  const page = readPage(url, res);
  if (page === undefined) return true;
  if (list) {
    const matching = state
      .instances()
      .filter((i) => i.zone === zone)
      .sort(byName)
      .map((i) => instanceJson(project, i))
      .filter((json) => evaluateFilter(page.filter, json));
    const items = matching.slice(page.offset, page.offset + page.size);
    sendJson(res, {
      kind: "compute#instanceList",
      id: `projects/${project}/zones/${zone}/instances`,
      ...(items.length > 0 ? { items } : {}),
      ...nextToken(url, page.offset + page.size, matching.length),
      selfLink: `${COMPUTE_BASE}/projects/${project}/zones/${zone}/instances`,
    });
    return true;
  }
  const zones = [...state.zones()].sort();
  const matching = zones.flatMap((z) =>
    state
      .instances()
      .filter((i) => i.zone === z)
      .sort(byName)
      .map((i) => ({ zone: z, json: instanceJson(project, i) }))
      .filter(({ json }) => evaluateFilter(page.filter, json)),
  );
  const slice = matching.slice(page.offset, page.offset + page.size);
  const items: Record<string, unknown> = {};
  for (const z of zones) {
    const instances = slice.filter((e) => e.zone === z).map((e) => e.json);
    if (instances.length > 0) {
      items[`zones/${z}`] = { instances };
    } else if (page.offset === 0) {
      items[`zones/${z}`] = {
        warning: {
          code: "NO_RESULTS_ON_PAGE",
          message: "There are no results for scope 'zones/" + z + "' on this page.",
          data: [{ key: "scope", value: `zones/${z}` }],
        },
      };
    }
  }
  sendJson(res, {
    kind: "compute#instanceAggregatedList",
    id: `projects/${project}/aggregated/instances`,
    items,
    ...nextToken(url, page.offset + page.size, matching.length),
    selfLink: `${COMPUTE_BASE}/projects/${project}/aggregated/instances`,
  });
  return true;
}
