import { InvalidArgumentError } from "../errors.js";
import { FrequencySketch } from "../cache/frequency-sketch.js";
import { KeyCodec } from "../cache/key-codec.js";

/**
 * Decides whether a value fetched from its owner is also kept in this node's hot cache. `hotVictim()` tells what
 * keeping it would cost: `null` when nothing would be evicted (the group's budget has room for it), the key the hot
 * cache would give up for it, or undefined when a main-cache entry would go instead (golang's rule, while the hot
 * cache holds less than main / 8) or the store cannot tell.
 */
export type HotPolicy = (key: string, value: Uint8Array, hotVictim?: () => string | null | undefined) => boolean;

/** Core's hot-cache policies by name, as `[cache] hot_policy` and a group's `hotPolicy` option take them. */
export const HOT_POLICY_KINDS = ["one-in-10", "frequency"] as const;
export type HotPolicyKind = (typeof HOT_POLICY_KINDS)[number];

/** golang/groupcache's rule: keep 1 in `n` peer-fetched values (n = 10 by default). */
export function oneIn(n: number, random: () => number = Math.random): HotPolicy {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected oneIn(n) with a positive integer n, got ${String(n)}`);
  return () => Math.floor(random() * n) === 0;
}

export const neverHot: HotPolicy = () => false;
export const alwaysHot: HotPolicy = () => true;

export interface FrequentHotOptions {
  /** Fetches of a key from its owner (this one included), lately, before its value is kept hot; default 2. */
  readonly threshold?: number;
  /** The hot cache's byte budget, which sizes the sketch (with the average key + value size seen); default 64 MiB / 9. */
  readonly hotBytes?: number;
}

const DEFAULT_THRESHOLD = 2;
/** The sketch follows this many times the entries the hot cache holds (the keys competing for it). */
const SKETCH_PER_HOT_ENTRY = 4;
const MIN_SKETCH_ENTRIES = 256;
/** Bytes counted per hot entry on top of key and value, to estimate how many entries the hot cache holds. */
const ENTRY_OVERHEAD = 72;

/**
 * TinyLFU admission for the hot cache: a frequency sketch (count-min, 4-bit counters, doorkeeper, halved every 10
 * fetches per counter set) of the keys this node fetched from their owners. While the group's budget has room
 * (`hotVictim()` is null), every value is kept: admission only decides what gets evicted, and memory left empty
 * helps no one (as Caffeine admits everything below its maximum). Once keeping a value would evict, it is kept only
 * when its key was fetched `threshold` times lately and, when the hot cache is full, more often than the key it
 * would replace (the hot cache's next victim). Popular remote keys become local after a couple of reads; keys read
 * once (scans, one-hit wonders) do not push popular entries out, as golang's 1-in-10 coin lets them. The sketch is
 * sized for 4 times the entries the hot cache holds at the average key + value size seen, and grows (starting
 * afresh) when that estimate doubles.
 */
export function frequentHot(options: FrequentHotOptions = {}): HotPolicy {
  const { threshold = DEFAULT_THRESHOLD, hotBytes = Math.floor((64 * 2 ** 20) / 9) } = options;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 16) {
    throw new InvalidArgumentError(`expected frequentHot's threshold to be an integer from 1 to 16, got ${String(threshold)}`);
  }
  if (!Number.isSafeInteger(hotBytes) || hotBytes < 0) {
    throw new InvalidArgumentError(`expected frequentHot's hotBytes to be a non-negative integer, got ${String(hotBytes)}`);
  }
  const codec = new KeyCodec();
  const sketch = new FrequencySketch(MIN_SKETCH_ENTRIES);
  let fetches = 0;
  let fetchedBytes = 0;
  return (key, value, hotVictim) => {
    const hash = codec.load(key);
    fetches++;
    fetchedBytes += codec.length + value.byteLength + ENTRY_OVERHEAD;
    if ((fetches & (fetches - 1)) === 0) {
      // At 1, 2, 4, 8, ... fetches: resize for the entries the hot cache holds at the average size seen.
      sketch.ensureCapacity(SKETCH_PER_HOT_ENTRY * (hotBytes / (fetchedBytes / fetches)));
    }
    sketch.increment(hash);
    const victim = hotVictim?.();
    if (victim === null) return true;
    const frequency = sketch.frequency(hash);
    if (frequency < threshold) return false;
    return victim === undefined || frequency > sketch.frequency(codec.load(victim));
  };
}

/** The policy of a named kind, for a group of `maxBytes` (the hot cache holds at most 1/9 of it under golang's rule). */
export function hotPolicyOf(kind: HotPolicyKind, maxBytes: number): HotPolicy {
  if (kind === "one-in-10") return oneIn(10);
  return frequentHot({ hotBytes: Math.floor(maxBytes / 9) });
}
