// Access traces for bench/hit-ratio.mjs, generated from a fixed seed, and Bélády's optimum computed offline.
// A trace is an Int32Array of key ids in [0, keySpace).

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random permutation of 0..n-1 (which key has which popularity rank). */
function permutation(n, random) {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Draws zipf ranks (0 = most popular) over n items with exponent s. */
function zipfSampler(n, s, random) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < n; i++) cdf[i] /= sum;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Independent requests with zipf popularity. */
export function zipfTrace({ keys, length, s, seed }) {
  const random = prng(seed);
  const rank = zipfSampler(keys, s, random);
  const perm = permutation(keys, random);
  const trace = new Int32Array(length);
  for (let i = 0; i < length; i++) trace[i] = perm[rank()];
  return trace;
}

/** Zipf (s) requests, and every `period` requests a scan: `scan` keys read once each, in order, from the least popular half. */
export function zipfWithScansTrace({ keys, length, s, seed, period, scan }) {
  const random = prng(seed);
  const rank = zipfSampler(keys, s, random);
  const perm = permutation(keys, random);
  const trace = new Int32Array(length);
  let next = keys >> 1;
  for (let i = 0; i < length;) {
    for (let j = 0; j < period && i < length; j++) trace[i++] = perm[rank()];
    for (let j = 0; j < scan && i < length; j++) {
      trace[i++] = perm[next];
      next = next + 1 < keys ? next + 1 : keys >> 1;
    }
  }
  return trace;
}

/** The keys 0..loop-1 read in order, again and again. */
export function loopTrace({ length, loop }) {
  const trace = new Int32Array(length);
  for (let i = 0; i < length; i++) trace[i] = i % loop;
  return trace;
}

/** Zipf (s) requests whose popular keys change completely every `phase` requests (the ranks move by a tenth of the keys). */
export function shiftingTrace({ keys, length, s, seed, phase }) {
  const random = prng(seed);
  const rank = zipfSampler(keys, s, random);
  const perm = permutation(keys, random);
  const shift = Math.floor(keys / 10);
  const trace = new Int32Array(length);
  for (let i = 0; i < length; i++) trace[i] = perm[(rank() + Math.floor(i / phase) * shift) % keys];
  return trace;
}

/**
 * Bélády's optimum for a cache of `capacity` entries on `trace`: on a miss, the entry (the new key included) whose
 * next use is farthest is left out. This is the bound for caches that may decline to admit (as W-TinyLFU does);
 * it is at least the classic MIN, which must admit every miss. Returns the hit ratio.
 */
export function beladyHitRatio(trace, capacity) {
  const n = trace.length;
  let ids = 0;
  for (let i = 0; i < n; i++) if (trace[i] >= ids) ids = trace[i] + 1;
  const nextUse = new Int32Array(n);
  const last = new Int32Array(ids).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    nextUse[i] = last[trace[i]];
    last[trace[i]] = i;
  }
  // A max-heap of (next use, id) with stale entries skipped: an entry is current if the id is cached with that next use.
  const heapUse = new Int32Array(n + 1);
  const heapId = new Int32Array(n + 1);
  let size = 0;
  const push = (use, id) => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapUse[parent] >= use) break;
      heapUse[i] = heapUse[parent];
      heapId[i] = heapId[parent];
      i = parent;
    }
    heapUse[i] = use;
    heapId[i] = id;
  };
  const pop = () => {
    const use = heapUse[--size];
    const id = heapId[size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heapUse[child + 1] > heapUse[child]) child++;
      if (heapUse[child] <= use) break;
      heapUse[i] = heapUse[child];
      heapId[i] = heapId[child];
      i = child;
    }
    heapUse[i] = use;
    heapId[i] = id;
  };
  const cachedUntil = new Int32Array(ids).fill(-1);
  let cached = 0;
  let hits = 0;
  for (let t = 0; t < n; t++) {
    const id = trace[t];
    const use = nextUse[t];
    if (cachedUntil[id] >= 0) {
      hits++;
      cachedUntil[id] = use;
      push(use, id);
      continue;
    }
    if (use === n) continue; // never read again: not worth a place
    if (cached === capacity) {
      while (cachedUntil[heapId[0]] !== heapUse[0]) pop();
      if (heapUse[0] <= use) continue; // every cached key is needed sooner than this one
      cachedUntil[heapId[0]] = -1;
      pop();
      cached--;
    }
    cachedUntil[id] = use;
    push(use, id);
    cached++;
  }
  return hits / n;
}
