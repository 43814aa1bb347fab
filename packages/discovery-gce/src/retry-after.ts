/**
 * The delay an HTTP `Retry-After` value asks for (RFC 9110 §10.2.3): `delay-seconds`, or an HTTP-date. A date is
 * read against the answer's own `Date` header when there is one (the server's clock, so this machine's clock skew
 * does not matter), else against `now`. Undefined for anything else; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number, serverDate?: string | null): number | undefined {
  const text = value?.trim();
  if (text === undefined || text === "") return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always has a weekday or month name; this keeps Date.parse from reading "7" or "2.5" as a year.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  const reference = serverDate === undefined || serverDate === null ? Number.NaN : Date.parse(serverDate);
  return Math.max(0, at - (Number.isNaN(reference) ? now : reference));
}
