import { Zipf } from "@cachecluster/testing/fleet";

/** Latency samples in ms with percentiles. */
export class Latencies {
  readonly #samples: number[] = [];
  ok = 0;
  failed = 0;
  readonly failures: string[] = [];

  add(ms: number): void {
    this.#samples.push(ms);
  }

  get count(): number {
    return this.#samples.length;
  }

  percentile(p: number): number {
    if (this.#samples.length === 0) return Number.NaN;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  }
}

export interface WorkloadOptions {
  readonly keys: number;
  readonly concurrency: number;
  /** Base URLs of the app servers to spread requests over; read before every request. */
  readonly targets: () => readonly string[];
  readonly signal: AbortSignal;
  /** Where results go; swapped between phases. */
  readonly sink: () => Latencies;
}

/** Runs `concurrency` closed-loop clients until the signal aborts. */
export async function runWorkload(options: WorkloadOptions): Promise<void> {
  // A few hot keys and a long tail, like real read traffic.
  const zipf = new Zipf(options.keys, 1.1);
  const worker = async (): Promise<void> => {
    while (!options.signal.aborted) {
      const targets = options.targets();
      const target = targets[Math.floor(Math.random() * targets.length)];
      if (target === undefined) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const key = `report-${zipf.draw(Math.random())}`;
      const sink = options.sink();
      const start = performance.now();
      try {
        const res = await fetch(`${target}/report/${key}`, { signal: AbortSignal.timeout(10_000) });
        const body = await res.arrayBuffer();
        if (res.status === 200 && body.byteLength >= 2048) {
          sink.ok++;
          sink.add(performance.now() - start);
        } else {
          sink.failed++;
          if (sink.failures.length < 5) sink.failures.push(`${target} ${key}: HTTP ${res.status}`);
        }
      } catch (error) {
        sink.failed++;
        if (sink.failures.length < 5) sink.failures.push(`${target} ${key}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}
