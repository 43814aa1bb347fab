/**
 * A component that reports numbers about itself: a transport's requests and open connections, a membership's
 * probes and suspicions, a discovery's API calls. Optional: the cluster checks for it with `isObservable`.
 *
 * The cluster exports each key as a Prometheus metric `cachecluster_<role>_<name>` (role: transport, membership
 * or discovery), described by `describeStats()`: its type, unit and help text. Give a description for every key:
 * one without is exported as a gauge (a counter when the key ends in `_total`/`Total`) with a generic help text.
 * Values must be finite numbers; others are skipped. `stats()` is called on every scrape and status request, so
 * it must be cheap and must not throw.
 */
export interface Observable {
  stats(): Readonly<Record<string, number>>;
  /** What each key of `stats()` is (read once per scrape); see `StatDescription`. */
  describeStats?(): Readonly<Record<string, StatDescription>>;
}

/**
 * One `stats()` key as a Prometheus metric. The exported name is `cachecluster_<role>_<name>`, then the unit's
 * suffix (`_seconds`, `_timestamp_seconds`, `_bytes`), then `_total` for a counter — Prometheus' conventions — and
 * the value is converted to the base unit (milliseconds to seconds).
 */
export interface StatDescription {
  /** `counter`: only goes up (restarts at 0 with the process); `gauge`: a value that goes up and down. */
  readonly type: "counter" | "gauge";
  /** The HELP text: what is counted or measured, in one sentence. */
  readonly help: string;
  /** The unit of the value in `stats()`; `epoch_milliseconds` is a `Date.now()` time. Default: a plain number. */
  readonly unit?: "milliseconds" | "seconds" | "epoch_milliseconds" | "bytes";
  /** The name without prefix, unit suffix or `_total`, snake_case; default the key in snake_case without them. */
  readonly name?: string;
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

/** `describeStats()` of a component, or {} when it has none or it throws. */
export function readStatDescriptions(component: unknown): Readonly<Record<string, StatDescription>> {
  if (!isObservable(component) || typeof component.describeStats !== "function") return {};
  try {
    const d = component.describeStats();
    return typeof d === "object" && d !== null ? d : {};
  } catch {
    return {};
  }
}
