import type { IncomingMessage } from "node:http";
import type { Clock } from "@cachecluster/core";
import { SIGNATURE_SCHEME, type WriteMethod, bodyDigest, parseWriteSignature, verifyWriteSignature } from "../wire/write-signature.js";
import { ReplayCache } from "./replay-cache.js";

/** Why a write was refused; each is a counter of the peer server. */
export type WriteRefusal = "unsigned" | "badSignature" | "stale" | "replayed" | "busy";

export type WriteAdmission =
  | { readonly ok: true; readonly digest: string }
  | { readonly ok: false; readonly status: number; readonly reason: WriteRefusal; readonly text: string; readonly headers?: Record<string, string> };

export interface SignedWriteOptions {
  /** The shared secrets: any of them verifies. */
  readonly secrets: readonly Buffer[];
  /** ms a signature stays valid either side of its timestamp. */
  readonly window: number;
  /** Nonces remembered at most (see `ReplayCache`). */
  readonly replayCapacity: number;
  readonly clock: Pick<Clock, "now">;
}

const CHALLENGE = { "WWW-Authenticate": SIGNATURE_SCHEME };

/**
 * Checks the signature of a PUT or DELETE before any of its body is read: the scheme's `Authorization` header,
 * a timestamp within `window` of this node's clock, an HMAC that one of the secrets made, and a nonce not seen
 * before (then remembered). A PUT's body is checked against the signed digest once read (`bodyMatches`).
 */
export class SignedWrites {
  readonly #options: SignedWriteOptions;
  readonly #replays: ReplayCache;

  constructor(options: SignedWriteOptions) {
    this.#options = options;
    this.#replays = new ReplayCache(options.replayCapacity);
  }

  /** Nonces remembered now. */
  get remembered(): number {
    return this.#replays.size;
  }

  admit(req: IncomingMessage, method: WriteMethod, group: string, key: string): WriteAdmission {
    const header = req.headers.authorization;
    if (header === undefined || !header.startsWith(`${SIGNATURE_SCHEME} `)) {
      return refuse(401, "unsigned", `unauthorized: ${method} needs a ${SIGNATURE_SCHEME} signature (this node has [cache] secret_keys)`);
    }
    const signed = parseWriteSignature(header);
    if (signed === undefined) return refuse(401, "badSignature", `unauthorized: malformed ${SIGNATURE_SCHEME} authorization`);
    const now = this.#options.clock.now();
    const skew = signed.timestamp - now;
    if (Math.abs(skew) > this.#options.window) {
      return refuse(
        401,
        "stale",
        `unauthorized: the signature's time is ${(skew / 1000).toFixed(1)} s off this node's clock (at most ${this.#options.window / 1000} s either way)`,
      );
    }
    if (method === "DELETE" && signed.digest !== bodyDigest(undefined)) return refuse(401, "badSignature", "unauthorized: a DELETE signs an empty body");
    if (!verifyWriteSignature(this.#options.secrets, method, group, key, signed)) {
      return refuse(401, "badSignature", "unauthorized: the signature does not match (another secret, or another request)");
    }
    switch (this.#replays.remember(signed.nonce, signed.timestamp + this.#options.window, now)) {
      case "replayed":
        return refuse(401, "replayed", "unauthorized: this signed write was applied already (replay)");
      case "full":
        return { ok: false, status: 503, reason: "busy", text: "too many signed writes in the replay window; retry later", headers: { "Retry-After": "1" } };
      default:
        return { ok: true, digest: signed.digest };
    }
  }
}

function refuse(status: number, reason: WriteRefusal, text: string): WriteAdmission {
  return { ok: false, status, reason, text, headers: CHALLENGE };
}
