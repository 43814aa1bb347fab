import { createCipheriv, createDecipheriv, randomFillSync, type CipherGCMTypes } from "node:crypto";
import { DecodeError, InvalidArgumentError } from "@cachecluster/core";

/** memberlist's encryptionVersion: 0 = AES-GCM with PKCS#7 padding (protocol version 1), 1 = no padding. */
export type EncryptionVersion = 0 | 1;

const VERSION_SIZE = 1;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const BLOCK_SIZE = 16;

/** Worst-case bytes encryption adds (security.go encryptOverhead). */
export function encryptOverhead(vsn: EncryptionVersion): number {
  return vsn === 0 ? 45 : 29;
}

/** Size of an encrypted message for a plaintext of `inputLength` bytes (security.go encryptedLength). */
export function encryptedLength(vsn: EncryptionVersion, inputLength: number): number {
  if (vsn >= 1) return VERSION_SIZE + NONCE_SIZE + inputLength + TAG_SIZE;
  const padding = BLOCK_SIZE - (inputLength % BLOCK_SIZE);
  return VERSION_SIZE + NONCE_SIZE + inputLength + padding + TAG_SIZE;
}

// Random nonces are drawn from a pool refilled from the CSPRNG, 12 bytes at a time (each used once).
const noncePool = new Uint8Array(NONCE_SIZE * 256);
let noncePos = noncePool.length;

function randomNonce(): Uint8Array {
  if (noncePos === noncePool.length) {
    randomFillSync(noncePool);
    noncePos = 0;
  }
  const nonce = noncePool.slice(noncePos, noncePos + NONCE_SIZE);
  noncePos += NONCE_SIZE;
  return nonce;
}

function algorithm(key: Uint8Array): CipherGCMTypes {
  switch (key.length) {
    case 16:
      return "aes-128-gcm";
    case 24:
      return "aes-192-gcm";
    case 32:
      return "aes-256-gcm";
    default:
      throw new InvalidArgumentError(`expected an AES key of 16, 24 or 32 bytes, got ${key.length} bytes`);
  }
}

/**
 * [vsn byte][12-byte random nonce][AES-GCM ciphertext][16-byte tag], with additional data `data`, as
 * security.go encryptPayload. Version 0 pads the plaintext with PKCS#7 to a 16-byte multiple first.
 */
export function encryptPayload(vsn: EncryptionVersion, key: Uint8Array, msg: Uint8Array, data?: Uint8Array, nonce: Uint8Array = randomNonce()): Uint8Array {
  if (vsn !== 0 && vsn !== 1) throw new InvalidArgumentError(`expected encryption version 0 or 1, got ${String(vsn)}`);
  if (nonce.length !== NONCE_SIZE) throw new InvalidArgumentError(`expected a 12-byte nonce, got ${nonce.length} bytes`);
  let src = msg;
  if (vsn === 0) {
    const more = BLOCK_SIZE - (msg.length % BLOCK_SIZE);
    src = new Uint8Array(msg.length + more);
    src.set(msg);
    src.fill(more, msg.length);
  }
  const cipher = createCipheriv(algorithm(key), key, nonce, { authTagLength: TAG_SIZE });
  if (data !== undefined && data.length > 0) cipher.setAAD(data);
  const head = cipher.update(src);
  const tail = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(VERSION_SIZE + NONCE_SIZE + head.length + tail.length + TAG_SIZE);
  out[0] = vsn;
  out.set(nonce, VERSION_SIZE);
  out.set(head, VERSION_SIZE + NONCE_SIZE);
  out.set(tail, VERSION_SIZE + NONCE_SIZE + head.length);
  out.set(tag, out.length - TAG_SIZE);
  return out;
}

function tryDecrypt(key: Uint8Array, msg: Uint8Array, data: Uint8Array | undefined): Uint8Array | undefined {
  const nonce = msg.subarray(VERSION_SIZE, VERSION_SIZE + NONCE_SIZE);
  const ciphertext = msg.subarray(VERSION_SIZE + NONCE_SIZE, msg.length - TAG_SIZE);
  const tag = msg.subarray(msg.length - TAG_SIZE);
  try {
    const decipher = createDecipheriv(algorithm(key), key, nonce, { authTagLength: TAG_SIZE });
    decipher.setAuthTag(tag);
    if (data !== undefined && data.length > 0) decipher.setAAD(data);
    const head = decipher.update(ciphertext);
    const tail = decipher.final();
    if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
    return Uint8Array.from(Buffer.concat([head, tail]));
  } catch {
    return undefined;
  }
}

/**
 * Tries every key in order, as security.go decryptPayload; strips the PKCS#7 padding of version 0.
 * DecodeError for an empty or too short payload, an unknown version, bad padding, or when no key decrypts.
 */
export function decryptPayload(keys: readonly Uint8Array[], msg: Uint8Array, data?: Uint8Array): Uint8Array {
  if (msg.length === 0) throw new DecodeError("cannot decrypt an empty payload");
  const vsn = msg[0] as number;
  if (vsn > 1) throw new DecodeError(`unsupported encryption version ${vsn}`);
  if (msg.length < encryptedLength(vsn as EncryptionVersion, 0)) {
    throw new DecodeError(`payload is too small to decrypt: ${msg.length} bytes`);
  }
  for (const key of keys) {
    const plain = tryDecrypt(key, msg, data);
    if (plain === undefined) continue;
    if (vsn === 1) return plain;
    const pad = plain.length > 0 ? (plain[plain.length - 1] as number) : 0;
    if (pad < 1 || pad > BLOCK_SIZE || pad > plain.length) throw new DecodeError(`invalid PKCS#7 padding ${pad}`);
    return plain.subarray(0, plain.length - pad);
  }
  throw new DecodeError("no installed keys could decrypt the message");
}
