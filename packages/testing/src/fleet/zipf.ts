/** Draws ranks 0..n-1 with probability ∝ 1/(rank+1)^s, from a uniform source in [0, 1). */
export class Zipf {
  readonly #cdf: Float64Array;

  constructor(n: number, s: number) {
    if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`expected a positive number of keys, got ${n}`);
    if (!(s > 0)) throw new RangeError(`expected a positive exponent, got ${s}`);
    this.#cdf = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) this.#cdf[i] = sum += 1 / Math.pow(i + 1, s);
    for (let i = 0; i < n; i++) this.#cdf[i] = (this.#cdf[i] ?? 0) / sum;
  }

  /** The rank (0 = most popular) that `uniform`, a draw from [0, 1), picks. */
  draw(uniform: number): number {
    let lo = 0;
    let hi = this.#cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#cdf[mid] ?? 1) < uniform) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The p-quantile (0..1) of sorted values (nearest rank); NaN when empty. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}
