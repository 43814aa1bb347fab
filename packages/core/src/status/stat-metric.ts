import type { StatDescription } from "../interfaces/observable.js";

/** How one `stats()` key is exported. */
export interface StatMetric {
  readonly name: string;
  readonly type: "counter" | "gauge";
  readonly help: string;
  /** Multiplies the reported value into the base unit. */
  readonly scale: number;
}

const UNIT_SUFFIX: Record<NonNullable<StatDescription["unit"]>, string> = {
  milliseconds: "_seconds",
  seconds: "_seconds",
  epoch_milliseconds: "_timestamp_seconds",
  bytes: "_bytes",
};

/** `peerRequests` → `peer_requests`; anything outside [a-z0-9_] → `_`. */
export function metricSuffix(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .replace(/^(\d)/, "_$1");
}

/**
 * The metric of a stats key, in Prometheus' conventions: base units (`_seconds`, not `_ms`), `_timestamp_seconds`
 * for points in time, counters ending in `_total`. A key without a description is a counter when it ends in
 * `_total`, else a gauge; a trailing `_ms` becomes `_seconds`.
 */
export function statMetric(role: string, key: string, component: string, description: StatDescription | undefined): StatMetric {
  const snake = metricSuffix(key);
  if (description === undefined) {
    const ms = /_ms$/.test(snake);
    return {
      name: `cachecluster_${role}_${ms ? snake.replace(/_ms$/, "_seconds") : snake}`,
      type: snake.endsWith("_total") ? "counter" : "gauge",
      help: `${key} as the ${role} (${component}) reports it; it gives no description.`,
      scale: ms ? 0.001 : 1,
    };
  }
  const base = description.name ?? snake.replace(/_(total|ms|millis|milliseconds|seconds|at|bytes)$/, "");
  const unit = description.unit === undefined ? "" : UNIT_SUFFIX[description.unit];
  const scale = description.unit === "milliseconds" || description.unit === "epoch_milliseconds" ? 0.001 : 1;
  return {
    name: `cachecluster_${role}_${metricSuffix(base)}${base.endsWith(unit) ? "" : unit}${description.type === "counter" ? "_total" : ""}`,
    type: description.type,
    help: description.help,
    scale,
  };
}
