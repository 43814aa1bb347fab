import { InvalidArgumentError } from "@cachecluster/core";

function validateKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new InvalidArgumentError(`expected a key to be a Uint8Array, got ${typeof key}`);
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new InvalidArgumentError(`expected a key of 16, 24 or 32 bytes (AES-128/192/256), got ${key.length} bytes`);
  }
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * memberlist's Keyring: AES keys of 16, 24 or 32 bytes; the primary key (first) encrypts, every key is
 * tried to decrypt, primary first. Construct with a primary key and optional other keys, as NewKeyring.
 */
export class Keyring {
  #keys: Uint8Array[] = [];

  constructor(primaryKey: Uint8Array, keys: readonly Uint8Array[] = []) {
    this.addKey(primaryKey);
    for (const key of keys) this.addKey(key);
  }

  /** Installs a key for decryption; a key already present is a no-op. */
  addKey(key: Uint8Array): void {
    validateKey(key);
    if (this.#keys.some((k) => sameKey(k, key))) return;
    this.#keys.push(key.slice());
  }

  /** Makes an installed key the primary one. */
  useKey(key: Uint8Array): void {
    const index = this.#keys.findIndex((k) => sameKey(k, key));
    if (index < 0) throw new InvalidArgumentError("expected the requested key to be installed in the keyring");
    const [found] = this.#keys.splice(index, 1);
    if (found !== undefined) this.#keys.unshift(found);
  }

  /** Removes a key; the primary key cannot be removed. */
  removeKey(key: Uint8Array): void {
    const primary = this.#keys[0];
    if (primary !== undefined && sameKey(primary, key)) throw new InvalidArgumentError("expected a non-primary key: removing the primary key is not allowed");
    this.#keys = this.#keys.filter((k) => !sameKey(k, key));
  }

  /** All keys, primary first (shared views: do not modify). */
  getKeys(): readonly Uint8Array[] {
    return this.#keys;
  }

  getPrimaryKey(): Uint8Array {
    return this.#keys[0] as Uint8Array;
  }
}
