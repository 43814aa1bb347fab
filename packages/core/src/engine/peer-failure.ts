import { PeerError } from "../errors.js";
import type { PeerFailureKind } from "./instruments.js";

/**
 * What a failed peer fetch says about the peer. `outlier`: the peer did not answer properly (timeout, refused or
 * reset connection, undecodable answer, 502/503/504), which counts towards ejecting it. A 500 (the owner's loader
 * failed) or a 4xx came from a peer that works: it does not count.
 */
export function classifyPeerFailure(error: unknown): { kind: PeerFailureKind; outlier: boolean } {
  const status = error instanceof PeerError ? error.status : undefined;
  if (error instanceof PeerError && error.code === "CACHECLUSTER_PEER_RESPONSE_INVALID") return { kind: "bad_response", outlier: true };
  if (status !== undefined) {
    if (status === 502 || status === 503 || status === 504) return { kind: "server_error", outlier: true };
    return { kind: status >= 500 ? "server_error" : "other", outlier: false };
  }
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const raw = (e as { code?: unknown }).code;
    const code = typeof raw === "string" ? raw : "";
    if (e.name === "DeadlineError" || /TIMEOUT|ETIMEDOUT/i.test(code) || /timed? ?out/i.test(e.message)) return { kind: "timeout", outlier: true };
    if (/^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENOTFOUND|EAI_AGAIN|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/.test(code)) {
      return { kind: "unreachable", outlier: true };
    }
  }
  return { kind: "other", outlier: error instanceof PeerError };
}
