import { z } from "zod";

/**
 * Schemas for the kinds of values config keys hold, shared by core and plugins so that every section reads and
 * reports values the same way. Ini values arrive as strings; code may give numbers, booleans and arrays.
 */

/** A TCP/UDP port, 0 to 65535 (0: any free port). */
export const port = z.coerce
  .number({ error: "expected a port number" })
  .int({ error: "expected an integer port from 0 to 65535" })
  .min(0, { error: "expected a port from 0 to 65535" })
  .max(65535, { error: "expected a port from 0 to 65535" });

/** A whole number of milliseconds, at least `min` (default 1). */
export function milliseconds(min = 1): z.ZodType<number, unknown> {
  return z.coerce
    .number({ error: "expected a duration in milliseconds" })
    .int({ error: "expected a whole number of milliseconds" })
    .min(min, { error: `expected at least ${min} ms` });
}

/** A whole number from `min` to `max`. */
export function integer(min: number, max: number): z.ZodType<number, unknown> {
  return z.coerce
    .number({ error: `expected an integer from ${min} to ${max}` })
    .int({ error: `expected an integer from ${min} to ${max}` })
    .min(min, { error: `expected an integer from ${min} to ${max}` })
    .max(max, { error: `expected an integer from ${min} to ${max}` });
}

/** `true`/`false` (also `yes`/`no`, `on`/`off`, `1`/`0` in the ini file). */
export const boolean = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  const t = v.trim().toLowerCase();
  if (["true", "yes", "on", "1"].includes(t)) return true;
  if (["false", "no", "off", "0"].includes(t)) return false;
  ctx.addIssue({ code: "custom", message: "expected true or false" });
  return z.NEVER;
});

/**
 * A comma-separated list in the ini file (`a, b, c`), or an array in code. Items are trimmed; empty items are
 * dropped. Items keep inner spaces, so an item schema can refuse them (`tags = http server` is one bad tag,
 * not two tags).
 */
export function list<T>(item: z.ZodType<T, string>): z.ZodType<T[], unknown> {
  return z
    .union([z.string(), z.array(z.string())], { error: "expected a comma-separated list" })
    .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(item));
}

/** A byte size: `67108864`, `64MiB`, `64MB`, `512KiB`, `1GiB`. */
export const byteSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : parseByteSize(v);
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) {
    ctx.addIssue({ code: "custom", message: "expected a byte size such as 67108864, 64MiB or 64MB" });
    return z.NEVER;
  }
  return n;
});

export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(text);
  if (!m) return undefined;
  const units: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };
  return Math.floor(Number(m[1]) * (units[(m[2] ?? "b").toLowerCase()] ?? 1));
}
