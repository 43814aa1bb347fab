/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws zipf ranks (0 = most popular) over n items with exponent s. */
export function zipf(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Runs keys through a store as a group's main cache does (get; on a miss add, then evict to the budget); returns the hit ratio. */
export function hitRatio(
  store: { get(key: string): unknown; add(key: string, entry: { value: Uint8Array }): void; evict(): boolean; readonly bytes: number },
  keys: Iterable<string>,
  budget: number,
): number {
  const empty = { value: new Uint8Array(0) };
  let hits = 0;
  let requests = 0;
  for (const key of keys) {
    requests++;
    if (store.get(key) !== undefined) {
      hits++;
      continue;
    }
    store.add(key, empty);
    while (store.bytes > budget) store.evict();
  }
  return hits / requests;
}
