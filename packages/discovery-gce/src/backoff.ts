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
 * Delay honouring a server's `Retry-After` of `retryAfterMs`: never earlier than asked, capped at `capMs`, and spread
 * up to `jitter` above it so a fleet told the same date does not come back in the same second.
 */
export function retryAfterDelay(retryAfterMs: number, capMs: number, jitter: number, random: number): number {
  const base = Math.min(Math.max(0, retryAfterMs), capMs);
  return Math.max(1, Math.round(base * (1 + jitter * random)));
}

/**
 * The shortest period that keeps a fleet of `fleetSize` nodes, each making `callsPerRefresh` list calls per
 * refresh, within `budgetPerMinute` calls per minute in total.
 */
export function budgetPeriodMs(fleetSize: number, callsPerRefresh: number, budgetPerMinute: number): number {
  return Math.ceil((Math.max(1, fleetSize) * Math.max(1, callsPerRefresh) * 60_000) / budgetPerMinute);
}

/**
 * Runs `call` with a signal that aborts after `ms` (reason: `onTimeout()`) or when `parent` aborts, and settles as
 * soon as that signal aborts, whether or not `call` heeds it: the caller never waits past the deadline, and a call
 * that does heed the signal (the Compute API client) cancels its request and closes its connection.
 */
export async function withAbortableDeadline<T>(call: (signal: AbortSignal) => Promise<T>, ms: number, parent: AbortSignal, onTimeout: () => Error): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(onTimeout()), ms);
  timer.unref();
  const onParent = (): void => controller.abort(parent.reason);
  if (parent.aborted) onParent();
  else parent.addEventListener("abort", onParent, { once: true });
  try {
    return await untilAborted(call(controller.signal), controller.signal);
  } finally {
    clearTimeout(timer);
    parent.removeEventListener("abort", onParent);
  }
}

/** `promise`, or a rejection with `signal.reason` as soon as `signal` aborts (`promise`'s own outcome is then ignored). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {});
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: Error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
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
