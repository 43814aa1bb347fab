import { InvalidArgumentError } from "../errors.js";
import { SlabStore, type SlabStoreOptions } from "./slab-store.js";
import { TinyLfuPolicy } from "./tinylfu-policy.js";

export interface TinyLfuStoreOptions extends SlabStoreOptions {
  /** Bytes the store is expected to hold when full, which sizes its segments; default `maxBytes`. */
  readonly capacity?: number;
}

/**
 * A store with W-TinyLFU eviction (see TinyLfuPolicy): a small LRU window in front of a segmented main space
 * that admits a new entry only if a frequency sketch has seen it more often than the entry it would replace.
 * Keeps a higher hit ratio than LRU under scans, one-hit wonders and skewed popularity. Entries are kept as
 * in every SlabStore; each is counted TINYLFU_ENTRY_OVERHEAD bytes more for the sketch.
 */
export class TinyLfuStore extends SlabStore {
  readonly #policy: TinyLfuPolicy;

  constructor(options: TinyLfuStoreOptions = {}) {
    const { capacity = options.maxBytes ?? 64 * 2 ** 20 } = options;
    if (!(Number.isSafeInteger(capacity) && capacity > 0)) {
      throw new InvalidArgumentError(`expected capacity to be a positive integer, got ${String(capacity)}`);
    }
    let policy: TinyLfuPolicy | undefined;
    super(options, (table, sizeOf) => (policy = new TinyLfuPolicy(table, sizeOf, capacity)));
    this.#policy = policy!;
  }

  /** Bytes in the window, probation and protected segments, the window's limit and the sketch's size (for tests and the status page). */
  segments(): { window: number; probation: number; protected: number; windowMax: number; sketchBytes: number } {
    return { ...this.#policy.segments(), windowMax: this.#policy.windowMax };
  }
}
