/** `base` scaled by a random factor in [1 - jitter, 1 + jitter] (`random` uniform in [0, 1)). */
export function withJitter(base: number, jitter: number, random: number): number {
  return Math.max(1, Math.round(base * (1 + jitter * (2 * random - 1))));
}

/**
 * Delay before the next lookup after a good one: `refreshMs`, or the records' TTL when that is shorter, but never
 * below `minRefreshMs`.
 */
export function regularDelay(ttlSeconds: number | undefined, refreshMs: number, minRefreshMs: number): number {
  if (ttlSeconds === undefined) return refreshMs;
  return Math.min(refreshMs, Math.max(minRefreshMs, ttlSeconds * 1000));
}

/**
 * Delay before retry number `failures` (1 = the first): doubling from `baseMs` up to `capMs`, half of it fixed and
 * half random ("equal jitter"), so that a fleet that failed together does not retry together.
 */
export function backoffDelay(failures: number, baseMs: number, capMs: number, random: number): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.max(1, Math.round(exp / 2 + (random * exp) / 2));
}
