/**
 * A component that reports numbers about itself: a transport's requests and open connections, a membership's
 * probes and suspicions, a discovery's API calls. Optional: the cluster checks for it with `isObservable`.
 *
 * Keys are metric name suffixes in snake_case (camelCase is converted); the cluster exports each one as
 * `cachecluster_<role>_<key>` (role: transport, membership or discovery). A key ending in `_total` is a
 * counter (monotonic), any other key a gauge. Values must be finite numbers; others are skipped.
 * `stats()` is called on every scrape and status request, so it must be cheap and must not throw.
 */
export interface Observable {
  stats(): Readonly<Record<string, number>>;
}

export function isObservable(value: unknown): value is Observable {
  return typeof value === "object" && value !== null && typeof (value as { stats?: unknown }).stats === "function";
}

/** `stats()` of a component, or undefined when it has none or it throws. Non-finite values are dropped. */
export function readStats(component: unknown): Record<string, number> | undefined {
  if (!isObservable(component)) return undefined;
  let raw: Readonly<Record<string, number>>;
  try {
    raw = component.stats();
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === "number" && Number.isFinite(value)) out[key] = value;
  }
  return out;
}
