import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { escapeSegment } from "./escape.js";

/**
 * Signed writes: a PUT or DELETE on the peer path carries
 * `Authorization: CacheCluster-HMAC-SHA256 t=<unix ms>, n=<nonce>, d=<body digest>, s=<signature>` where
 * `d` is the base64url SHA-256 of the body (of no bytes for DELETE), `n` 16 random bytes in base64url, and `s`
 * the base64url HMAC-SHA256, under a shared secret key, of these lines joined by `\n`:
 * the scheme name, the method, the group and the key (each escaped as on the wire, by `escapeSegment`, so no
 * line holds a newline and each value has one spelling), `t`, `n` and `d`.
 */
export const SIGNATURE_SCHEME = "CacheCluster-HMAC-SHA256";

export type WriteMethod = "PUT" | "DELETE";

export interface WriteSignature {
  /** Unix ms when the write was signed. */
  readonly timestamp: number;
  /** 16 random bytes, base64url: makes every signed write unique (the replay cache remembers it). */
  readonly nonce: string;
  /** base64url SHA-256 of the body. */
  readonly digest: string;
  /** base64url HMAC-SHA256 of the canonical request. */
  readonly signature: string;
}

const EMPTY_DIGEST = createHash("sha256").digest("base64url");

/** base64url SHA-256 of a body (of no bytes when `body` is undefined). */
export function bodyDigest(body: Uint8Array | undefined): string {
  return body === undefined || body.length === 0 ? EMPTY_DIGEST : createHash("sha256").update(body).digest("base64url");
}

function canonical(method: string, group: string, key: string, timestamp: number, nonce: string, digest: string): string {
  return `${SIGNATURE_SCHEME}\n${method}\n${escapeSegment(group)}\n${escapeSegment(key)}\n${timestamp}\n${nonce}\n${digest}`;
}

function hmac(secret: Buffer, text: string): Buffer {
  return createHmac("sha256", secret).update(text, "utf8").digest();
}

/** Signs a write with `secret` now; returns the `Authorization` header's value. */
export function signWrite(secret: Buffer, method: WriteMethod, group: string, key: string, body: Uint8Array | undefined, now: number): string {
  const nonce = randomBytes(16).toString("base64url");
  const digest = bodyDigest(body);
  const signature = hmac(secret, canonical(method, group, key, now, nonce, digest)).toString("base64url");
  return `${SIGNATURE_SCHEME} t=${now}, n=${nonce}, d=${digest}, s=${signature}`;
}

const AUTHORIZATION = new RegExp(`^${SIGNATURE_SCHEME} t=(\\d{1,15}), n=([A-Za-z0-9_-]{22}), d=([A-Za-z0-9_-]{43}), s=([A-Za-z0-9_-]{43})$`);

/** Reads an `Authorization` header of the scheme; undefined when it is not one, or malformed. */
export function parseWriteSignature(header: string): WriteSignature | undefined {
  const m = AUTHORIZATION.exec(header);
  if (m === null) return undefined;
  return { timestamp: Number(m[1]), nonce: m[2] as string, digest: m[3] as string, signature: m[4] as string };
}

/** True when `signature` was made by one of `secrets` for this write (constant time per key). */
export function verifyWriteSignature(secrets: readonly Buffer[], method: string, group: string, key: string, signed: WriteSignature): boolean {
  const given = Buffer.from(signed.signature, "base64url");
  if (given.length !== 32) return false;
  const text = canonical(method, group, key, signed.timestamp, signed.nonce, signed.digest);
  let ok = false;
  // Every key is tried, so the time taken does not tell which one matched.
  for (const secret of secrets) if (timingSafeEqual(hmac(secret, text), given)) ok = true;
  return ok;
}
