import { DecodeError } from "@cachecluster/core";

/**
 * Why gossip could not be read because of encryption: `undecryptable`: none of our keys decrypts it (the
 * keys differ, or it is not encrypted at all); `unexpected-encryption`: it is encrypted and we have no
 * keys; `unencrypted`: it is plaintext and we require encryption (verifyIncoming).
 */
export type EncryptionProblem = "undecryptable" | "unexpected-encryption" | "unencrypted";

/** Bytes that could not be read because the two sides' encryption settings or keys differ. A DecodeError. */
export class EncryptionError extends DecodeError {
  readonly problem: EncryptionProblem;
  /** What the sender said, when its refused plaintext answer was a memberlist error reply. */
  readonly remoteError: string | undefined;

  constructor(problem: EncryptionProblem, message: string, options?: { cause?: unknown; remoteError?: string | undefined }) {
    super(message, options);
    this.name = "EncryptionError";
    this.problem = problem;
    this.remoteError = options?.remoteError;
  }
}
