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
  let path = target;
  if (!path.startsWith("/")) {
    // absolute-form (`GET http://host/_groupcache/g/k`), allowed by HTTP/1.1.
    const slash = path.indexOf("/", path.indexOf("//") + 2);
    if (!/^https?:\/\//i.test(path) || slash < 0) return { ok: false, reason: "bad-request" };
    path = path.slice(slash);
  }
  const q = path.indexOf("?");
  if (q >= 0) path = path.slice(0, q);
  if (!path.startsWith(basePath)) return { ok: false, reason: "not-peer-path" };
  const rest = path.slice(basePath.length);
  const slash = rest.indexOf("/");
  if (slash < 0) return { ok: false, reason: "bad-request" };
  const group = unescapeSegment(rest.slice(0, slash));
  const key = unescapeSegment(rest.slice(slash + 1));
  if (group === undefined || key === undefined) return { ok: false, reason: "bad-request" };
  return { ok: true, group, key };
}
