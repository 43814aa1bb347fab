import { unescapeSegment } from "../wire/escape.js";

export type PeerPath =
  { readonly ok: true; readonly group: string; readonly key: string } | { readonly ok: false; readonly reason: "not-peer-path" | "bad-request" };

/**
 * Parses a request target as golang/groupcache's `HTTPPool.ServeHTTP`: strip the query, require the base
 * path, split the rest once on `/` into group and key, each unescaped (`+` and `%20` are spaces).
 *
 * One deliberate difference: the split happens on the raw path, before unescaping, so a group name holding
 * an escaped `/` (`%2F`) stays whole; for every request a Go peer sends the result is the same.
 */
export function parsePeerPath(target: string, basePath: string): PeerPath {
  const path = pathOf(target);
  if (path === undefined) return { ok: false, reason: "bad-request" };
  if (!path.startsWith(basePath)) return { ok: false, reason: "not-peer-path" };
  const rest = path.slice(basePath.length);
  const slash = rest.indexOf("/");
  if (slash < 0) return { ok: false, reason: "bad-request" };
  const group = unescapeSegment(rest.slice(0, slash));
  const key = unescapeSegment(rest.slice(slash + 1));
  if (group === undefined || key === undefined) return { ok: false, reason: "bad-request" };
  return { ok: true, group, key };
}

export type BatchPath = { readonly ok: true; readonly group: string } | { readonly ok: false; readonly reason: "not-peer-path" | "bad-request" };

/** Parses `{batchPath}{group}` (the group escaped as in a get's path, no `/` after it). */
export function parseBatchPath(target: string, batchPath: string): BatchPath {
  const path = pathOf(target);
  if (path === undefined) return { ok: false, reason: "bad-request" };
  if (!path.startsWith(batchPath)) return { ok: false, reason: "not-peer-path" };
  const rest = path.slice(batchPath.length);
  const group = rest.includes("/") ? undefined : unescapeSegment(rest);
  return group === undefined ? { ok: false, reason: "bad-request" } : { ok: true, group };
}

/** The path of a request target, without its query; the absolute form (`GET http://host/path`, allowed by HTTP/1.1) too. */
function pathOf(target: string): string | undefined {
  let path = target;
  if (!path.startsWith("/")) {
    const slash = path.indexOf("/", path.indexOf("//") + 2);
    if (!/^https?:\/\//i.test(path) || slash < 0) return undefined;
    path = path.slice(slash);
  }
  const q = path.indexOf("?");
  return q >= 0 ? path.slice(0, q) : path;
}
