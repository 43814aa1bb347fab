/** `base` scaled by a random factor in [1 - jitter, 1 + jitter]. */
export function withJitter(base: number, jitter: number, random: number): number {
  return Math.max(1, Math.round(base * (1 + jitter * (2 * random - 1))));
}

/**
 * Delay before retry number `failures` (1 = first retry): exponential from `baseMs`, capped at `capMs`,
 * with "equal jitter" (half fixed, half random) so a fleet that failed together does not retry together.
 */
export function backoffDelay(failures: number, baseMs: number, capMs: number, random: number): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.max(1, Math.round(exp / 2 + (random * exp) / 2));
}

/**
 * The shortest period that keeps a fleet of `fleetSize` nodes, each making `callsPerRefresh` list calls per
 * refresh, within `budgetPerMinute` calls per minute in total.
 */
export function budgetPeriodMs(fleetSize: number, callsPerRefresh: number, budgetPerMinute: number): number {
  return Math.ceil((Math.max(1, fleetSize) * Math.max(1, callsPerRefresh) * 60_000) / budgetPerMinute);
}

/** Rejects with `onTimeout()` when `promise` has not settled within `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
