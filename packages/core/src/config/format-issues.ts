import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { didYouMean } from "./did-you-mean.js";

/**
 * The one formatter of zod problems in cachecluster: `<where>: <message>, got <value as written>`, with the
 * known keys and a "did you mean" for unknown ones. `where(path)` names the place of a value: a file, section and
 * key (`cachecluster.ini:3 [cache] port`) or an option path (`gceDiscovery options.zones[0]`).
 */
export function formatIssues(
  error: z.ZodError,
  input: unknown,
  where: (path: readonly PropertyKey[]) => string,
  known?: (path: readonly PropertyKey[]) => readonly string[] | undefined,
): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const names = known?.(issue.path);
        const hint = names === undefined ? "" : `${didYouMean(key, names)}; known: ${names.join(", ")}`;
        out.push(`${where([...issue.path, key])}: unknown option "${key}"${hint}`);
      }
      continue;
    }
    const message = issue.code === "invalid_key" || issue.code === "invalid_element" ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    // The value as written where the path still finds it; else the value zod saw (a list item after splitting).
    const written = valueAt(input, issue.path);
    const seen = written !== undefined && (typeof written !== "object" || written === null) ? written : (issue as { input?: unknown }).input;
    out.push(`${where(issue.path)}: ${message}${got(seen)}`);
  }
  return out;
}

/** `, got "abc"` for a primitive value as it was written, "" otherwise. */
export function got(value: unknown): string {
  if (value === undefined || (typeof value === "object" && value !== null)) return "";
  return `, got ${typeof value === "bigint" ? String(value) : JSON.stringify(value)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * Validates the options a plugin factory was given in code (`gceDiscovery({ ... })`) against its zod schema, and
 * throws one `ConfigError` listing every problem as `<what>.<path>: <message>, got <value>` (unknown options with
 * a "did you mean"). Call it eagerly, in the factory. `where` names a value's origin instead (for options merged
 * from config keys: `config [match] zone`).
 */
export function parseOptions<T>(schema: z.ZodType<T>, input: unknown, what: string, where?: (path: readonly PropertyKey[]) => string | undefined): T {
  const result = schema.safeParse(input ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  throw new ConfigError(
    formatIssues(
      result.error,
      input,
      (path) => where?.(path) ?? `${what}${formatPath(path)}`,
      (path) => (path.length === 0 && shape !== undefined ? Object.keys(shape) : undefined),
    ),
    { cause: result.error },
  );
}

/** `.a.b[0]` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}
