// Access traces for bench/hit-ratio.mjs, generated from a fixed seed, and Bélády's optimum computed offline.
// A trace is an Int32Array of key ids in [0, keySpace).

import { Zipf } from "../packages/testing/dist/src/fleet/zipf.js";
import { seededRandom } from "../packages/testing/dist/src/memory-network/random.js";

/** @typedef {() => number} Random A source of floats in [0, 1). */

/**
 * A random permutation of 0..n-1 (which key has which popularity rank).
 * @param {number} n
 * @param {Random} random
 */
function permutation(n, random) {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i] ?? 0;
    p[i] = p[j] ?? 0;
    p[j] = t;
  }
  return p;
}

/**
 * Draws zipf ranks (0 = most popular) over n items with exponent s.
 * @param {number} n
 * @param {number} s
 * @param {Random} random
 * @returns {() => number}
 */
function zipfSampler(n, s, random) {
  const zipf = new Zipf(n, s);
  return () => zipf.draw(random());
}

/**
 * @typedef {{ keys: number, length: number, s: number, seed: number }} ZipfOptions
 *   `length` requests over `keys` keys, zipf exponent `s`, PRNG seed `seed`.
 */

/**
 * Independent requests with zipf popularity.
 * @param {ZipfOptions} options
 * @returns {Int32Array}
 */
export function zipfTrace({ keys, length, s, seed }) {
  const random = seededRandom(seed);
  const rank = zipfSampler(keys, s, random);
  const perm = permutation(keys, random);
  const trace = new Int32Array(length);
  for (let i = 0; i < length; i++) trace[i] = perm[rank()] ?? 0;
  return trace;
}

/**
 * Zipf (s) requests, and every `period` requests a scan: `scan` keys read once each, in order, from the least popular half.
 * @param {ZipfOptions & { period: number, scan: number }} options
 * @returns {Int32Array}
 */
export function zipfWithScansTrace({ keys, length, s, seed, period, scan }) {
  const random = seededRandom(seed);
  const rank = zipfSampler(keys, s, random);
  const perm = permutation(keys, random);
  const trace = new Int32Array(length);
  let next = keys >> 1;
  for (let i = 0; i < length;) {
    for (let j = 0; j < period && i < length; j++) trace[i++] = perm[rank()] ?? 0;
    for (let j = 0; j < scan && i < length; j++) {
      trace[i++] = perm[next] ?? 0;
      next = next + 1 < keys ? next + 1 : keys >> 1;
    }
  }
  return trace;
}

/**
 * The keys 0..loop-1 read in order, again and again.
 * @param {{ length: number, loop: number }} options
 * @returns {Int32Array}
 */
export function loopTrace({ length, loop }) {
  const trace = new Int32Array(length);
  for (let i = 0; i < length; i++) trace[i] = i % loop;
  return trace;
}

/**
 * Zipf (s) requests whose popular keys change completely every `phase` requests (the ranks move by a tenth of the keys).
 * @param {ZipfOptions & { phase: number }} options
 * @returns {Int32Array}
 */
export function shiftingTrace({ keys, length, s, seed, phase }) {
  const random = seededRandom(seed);
  const rank = zipfSampler(keys, s, random);
  const perm = permutation(keys, random);
  const shift = Math.floor(keys / 10);
  const trace = new Int32Array(length);
  for (let i = 0; i < length; i++) trace[i] = perm[(rank() + Math.floor(i / phase) * shift) % keys] ?? 0;
  return trace;
}

/**
 * Bélády's optimum for a cache of `capacity` entries on `trace`: on a miss, the entry (the new key included) whose
 * next use is farthest is left out. This is the bound for caches that may decline to admit (as W-TinyLFU does);
 * it is at least the classic MIN, which must admit every miss. Returns the hit ratio.
 * @param {Int32Array} trace key ids
 * @param {number} capacity entries
 * @returns {number}
 */
export function beladyHitRatio(trace, capacity) {
  // Every index below is in range: `?? 0` only tells the type checker so (typed array reads may be undefined).
  const n = trace.length;
  let ids = 0;
  for (let i = 0; i < n; i++) {
    const id = trace[i] ?? 0;
    if (id >= ids) ids = id + 1;
  }
  const nextUse = new Int32Array(n);
  const last = new Int32Array(ids).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    const id = trace[i] ?? 0;
    nextUse[i] = last[id] ?? 0;
    last[id] = i;
  }
  // A max-heap of (next use, id) with stale entries skipped: an entry is current if the id is cached with that next use.
  const heapUse = new Int32Array(n + 1);
  const heapId = new Int32Array(n + 1);
  let size = 0;
  /** @type {(use: number, id: number) => void} */
  const push = (use, id) => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentUse = heapUse[parent] ?? 0;
      if (parentUse >= use) break;
      heapUse[i] = parentUse;
      heapId[i] = heapId[parent] ?? 0;
      i = parent;
    }
    heapUse[i] = use;
    heapId[i] = id;
  };
  const pop = () => {
    const use = heapUse[--size] ?? 0;
    const id = heapId[size] ?? 0;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && (heapUse[child + 1] ?? 0) > (heapUse[child] ?? 0)) child++;
      const childUse = heapUse[child] ?? 0;
      if (childUse <= use) break;
      heapUse[i] = childUse;
      heapId[i] = heapId[child] ?? 0;
      i = child;
    }
    heapUse[i] = use;
    heapId[i] = id;
  };
  const cachedUntil = new Int32Array(ids).fill(-1);
  let cached = 0;
  let hits = 0;
  for (let t = 0; t < n; t++) {
    const id = trace[t] ?? 0;
    const use = nextUse[t] ?? 0;
    if ((cachedUntil[id] ?? -1) >= 0) {
      hits++;
      cachedUntil[id] = use;
      push(use, id);
      continue;
    }
    if (use === n) continue; // never read again: not worth a place
    if (cached === capacity) {
      while (cachedUntil[heapId[0] ?? 0] !== heapUse[0]) pop();
      if ((heapUse[0] ?? 0) <= use) continue; // every cached key is needed sooner than this one
      cachedUntil[heapId[0] ?? 0] = -1;
      pop();
      cached--;
    }
    cachedUntil[id] = use;
    push(use, id);
    cached++;
  }
  return hits / n;
}

/**
 * The hit ratio of a perfect static LFU on `trace`: an oracle that knows how often every key is read in the whole
 * trace and caches only the `capacity` most frequent keys, each from its first read on (so a first read is a miss,
 * as for any cache that starts empty). On a stationary trace (independent requests, as zipf) no online policy that
 * decides by frequency does better; Bélády's optimum, which knows the order of the requests too, does at least as well.
 * @param {Int32Array} trace key ids
 * @param {number} capacity entries
 * @returns {number}
 */
export function topKHitRatio(trace, capacity) {
  let ids = 0;
  for (let i = 0; i < trace.length; i++) ids = Math.max(ids, (trace[i] ?? 0) + 1);
  const counts = new Int32Array(ids);
  for (let i = 0; i < trace.length; i++) counts[trace[i] ?? 0] = (counts[trace[i] ?? 0] ?? 0) + 1;
  counts.sort().reverse();
  let hits = 0;
  for (let i = 0; i < Math.min(capacity, ids); i++) hits += Math.max(0, (counts[i] ?? 0) - 1);
  return hits / trace.length;
}
