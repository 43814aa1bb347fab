import { STATUS_CODES } from "node:http";
import { PeerError, describeError } from "@cachecluster/core";

/** How much of a non-200 answer's text goes into the PeerError message. */
export const ERROR_TEXT_LIMIT = 1024;

/** The PeerError for a peer's answer with another status than 200, its text (a prefix) in the message. */
export function statusError(peerUrl: string, method: string, path: string, status: number, body: Buffer): PeerError {
  const text = body.subarray(0, ERROR_TEXT_LIMIT).toString("utf8").trim();
  const reason = STATUS_CODES[status] ?? "";
  return new PeerError(peerUrl, `${method} ${path}: server returned ${status} ${reason}${text === "" ? "" : `: ${text}`}`, { status });
}

/** The PeerError for a call that got no answer: unreachable, reset, timed out, or aborted by `signal`. */
export function requestError(
  peerUrl: string,
  method: string,
  path: string,
  error: unknown,
  signal: { readonly aborted: boolean; readonly reason: unknown } | undefined,
): PeerError {
  if (signal?.aborted === true) {
    return new PeerError(peerUrl, `${method} ${path}: aborted`, { cause: signal.reason ?? error });
  }
  const code = (error as { code?: unknown } | null)?.code;
  const detail = typeof code === "string" ? `${code}: ${describeError(error)}` : describeError(error);
  return new PeerError(peerUrl, `${method} ${path}: ${detail}`, { cause: error });
}
