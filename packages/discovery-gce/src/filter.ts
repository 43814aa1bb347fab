/**
 * The server-side filter of a list call: running instances, plus every configured label. Label keys and values
 * are validated by the options schema (lower-case letters, digits, `_`, `-`), so they cannot break out of the
 * quoted value.
 */
export function buildFilter(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return "status = RUNNING";
  return ["(status = RUNNING)", ...entries.map(([k, v]) => `(labels.${k} = "${v}")`)].join(" AND ");
}
