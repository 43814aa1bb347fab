/** Upper bounds (seconds) of the latency buckets: 0.5 ms to 10 s, about 2.5x apart. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A Prometheus histogram's data for one label set: counts per bucket (not cumulative), sum and count. */
export class Histogram {
  readonly bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[] = LATENCY_BUCKETS) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value (seconds). */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] ?? 0)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count++;
  }

  /** Adds `n` values that all fall in the first bucket and add nothing to the sum (untimed cache hits). */
  addInstant(n: number): void {
    this.counts[0] = (this.counts[0] ?? 0) + n;
    this.count += n;
  }

  /** Cumulative counts per `le` bound, `+Inf` last. */
  cumulative(): [le: string, count: number][] {
    const out: [string, number][] = [];
    let running = 0;
    this.bounds.forEach((bound, i) => {
      running += this.counts[i] ?? 0;
      out.push([String(bound), running]);
    });
    out.push(["+Inf", this.count]);
    return out;
  }

  clone(): Histogram {
    const copy = new Histogram(this.bounds);
    copy.counts.set(this.counts);
    copy.sum = this.sum;
    copy.count = this.count;
    return copy;
  }
}

/** Histograms by a label value, created on first use. */
export class HistogramFamily {
  readonly #byLabel = new Map<string, Histogram>();

  observe(label: string, seconds: number): void {
    let h = this.#byLabel.get(label);
    if (h === undefined) this.#byLabel.set(label, (h = new Histogram()));
    h.observe(seconds);
  }

  get(label: string): Histogram | undefined {
    return this.#byLabel.get(label);
  }

  entries(): IterableIterator<[string, Histogram]> {
    return this.#byLabel.entries();
  }

  get size(): number {
    return this.#byLabel.size;
  }

  /** Drops the labels `keep` rejects. */
  retain(keep: (label: string) => boolean): void {
    for (const label of [...this.#byLabel.keys()]) if (!keep(label)) this.#byLabel.delete(label);
  }
}
