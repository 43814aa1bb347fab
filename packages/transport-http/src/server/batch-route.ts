import type { IncomingMessage, ServerResponse } from "node:http";
import { CacheClusterError, DecodeError, type Logger, LoaderError, type PeerRequestHandler, describeError } from "@cachecluster/core";
import type { HttpTransportOptions } from "../options.js";
import { BATCH_HEADER, type BatchEntry, TooManyKeysError, decodeGetManyRequest, encodeGetManyResponse } from "../wire/get-many.js";
import { declaredLength, readBodyOrRefuse } from "./read-body.js";
import { sendText } from "./respond.js";

/** The counters the batch route adds to the peer server's. */
export interface BatchRouteStats {
  requests: number;
  /** Batch requests (POST on the batch route), each also counted in `requests`. */
  batches: number;
  /** Keys asked for in batches (each one a get at this node's group). */
  batchKeys: number;
  /** Keys of batches answered with their loader's error (the batch itself is a 200). */
  batchKeyErrors: number;
  /** Values left out of a batch answer to keep it within `maxBatchResponseBytes` (the client fetches them alone). */
  batchValuesOmitted: number;
  badRequests: number;
  methodNotAllowed: number;
  notFound: number;
  notMember: number;
  tooLarge: number;
  aborted: number;
}

export interface BatchRouteDeps {
  readonly handler: PeerRequestHandler;
  readonly options: Pick<HttpTransportOptions, "reads" | "maxBatchKeys" | "maxBatchRequestBytes" | "maxBatchResponseBytes">;
  readonly stats: BatchRouteStats;
  readonly logger: Logger;
  /** The abort signal of the request's connection, counted in flight while the batch is served. */
  readonly connection: (req: IncomingMessage) => { readonly signal: AbortSignal; done(): void };
}

/** Bytes a value adds to the answer besides its own: tags and lengths (and `expire`). */
const ENTRY_OVERHEAD = 24;

/**
 * Serves `POST {batchPath}{group}` (body: `GetManyRequest`): the keys' values as gets from a peer (served here,
 * never forwarded; singleflight per key), answered together as a `GetManyResponse` once all have settled. It
 * keeps the protections of the single-key route: reads from current members only (`reads: "members"`, else
 * 403 before the body is read), 405 for another method, 413 past `maxBatchRequestBytes` (declared or streamed)
 * or `maxBatchKeys`, 400 for a malformed body, 404 for an unknown group. A key whose loader fails gets its
 * error text in the answer; the other keys are served. Every reply carries the `cachecluster-batch` header.
 */
export function createBatchRoute(deps: BatchRouteDeps): (req: IncomingMessage, res: ServerResponse, group: string) => Promise<void> {
  const { handler, options, stats, logger } = deps;
  const membersOnly = options.reads === "members";
  const reply = (req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void =>
    sendText(req, res, status, text, { ...headers, [BATCH_HEADER]: "1" });

  const readKeys = async (req: IncomingMessage, res: ServerResponse): Promise<string[] | undefined> => {
    const limit = options.maxBatchRequestBytes;
    const declared = declaredLength(req);
    if (declared !== undefined && declared > limit) {
      stats.tooLarge++;
      reply(req, res, 413, `request body too large: ${declared} bytes, at most ${limit}`);
      return undefined;
    }
    const body = await readBodyOrRefuse(req, res, limit, declared, stats, (message) => reply(req, res, 413, message));
    if (body === undefined) return undefined;
    try {
      return decodeGetManyRequest(body, options.maxBatchKeys);
    } catch (error) {
      if (error instanceof TooManyKeysError) {
        stats.tooLarge++;
        reply(req, res, 413, error.message);
      } else {
        stats.badRequests++;
        reply(req, res, 400, `bad request: ${error instanceof DecodeError ? error.message : describeError(error)}`);
      }
      return undefined;
    }
  };

  return async (req, res, group) => {
    stats.requests++;
    stats.batches++;
    if (req.method !== "POST") {
      stats.methodNotAllowed++;
      reply(req, res, 405, `method not allowed: ${req.method ?? ""}; the batch route serves POST`, { Allow: "POST" });
      return;
    }
    if (membersOnly && !handler.isMemberAddress(req.socket.remoteAddress ?? "")) {
      stats.notMember++;
      reply(req, res, 403, `forbidden: peer reads are served to cluster members only, and ${req.socket.remoteAddress ?? "this address"} is none`);
      return;
    }
    const keys = await readKeys(req, res);
    if (keys === undefined) return;
    stats.batchKeys += keys.length;
    const connection = deps.connection(req);
    let settled: PromiseSettledResult<{ value: Uint8Array; expire?: number | undefined }>[];
    try {
      // Every key is a get from a peer, with the caller's trace context (a Go peer never sends a batch).
      const get = { signal: connection.signal, traceContext: req.headers };
      settled = await Promise.allSettled(keys.map((key) => handler.get(group, key, get)));
    } finally {
      connection.done();
    }
    if (res.destroyed) return;
    const entries: BatchEntry[] = [];
    let bytes = 0;
    for (const [i, result] of settled.entries()) {
      if (result.status === "fulfilled") {
        const size = result.value.value.length + ENTRY_OVERHEAD;
        if (bytes + size > options.maxBatchResponseBytes) {
          stats.batchValuesOmitted++;
          entries.push({ kind: "omitted", size: result.value.value.length });
          continue;
        }
        bytes += size;
        entries.push({ kind: "value", value: result.value.value, expire: result.value.expire });
        continue;
      }
      const error: unknown = result.reason;
      if (error instanceof CacheClusterError && error.code === "CACHECLUSTER_NO_SUCH_GROUP") {
        stats.notFound++;
        reply(req, res, 404, `no such group: ${group}`);
        return;
      }
      stats.batchKeyErrors++;
      logger.debug({ err: error, group, key: keys[i] }, "cachecluster: a key of a peer's batch failed");
      // As the single-key route: the loader's own error text.
      entries.push({
        kind: "error",
        text: error instanceof LoaderError && error.code === "CACHECLUSTER_LOADER_FAILED" ? describeError(error.cause) : describeError(error),
      });
    }
    const body = encodeGetManyResponse(entries);
    res.sendDate = false;
    res.writeHead(200, ["Content-Type", "application/x-protobuf", "Content-Length", String(body.length), BATCH_HEADER, "1"]);
    res.end(body);
  };
}
