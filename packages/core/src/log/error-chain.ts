import { describe } from "../errors.js";

/** How deep a cause chain is followed (a cycle or a very deep chain stops here). */
const MAX_CAUSES = 8;

/** One error as a log line shows it: `Name [CODE]: message`. */
export function errorLine(error: unknown): string {
  if (!(error instanceof Error)) return describe(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === "string" || typeof code === "number" ? ` [${code}]` : ""}: ${error.message}`;
}

/** The causes of `error`, outermost first: its `cause` chain, and the `errors` of an AggregateError. */
export function causesOf(error: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>([error]);
  let current: unknown = error;
  while (out.length < MAX_CAUSES && current instanceof Error) {
    if (current instanceof AggregateError) for (const inner of current.errors.slice(0, MAX_CAUSES)) out.push(errorLine(inner));
    const next: unknown = current.cause;
    if (next === undefined || next === null || seen.has(next)) break;
    seen.add(next);
    out.push(errorLine(next));
    current = next;
  }
  return out.slice(0, MAX_CAUSES);
}

/**
 * An error as one log field: type, code, message and the cause chain as short lines, instead of the stack of
 * each level (a retried network failure is otherwise some 40 lines). The stack only when asked (debug level).
 */
export function serializeError(error: unknown, withStack = false): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: describe(error) };
  const out: Record<string, unknown> = { type: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  const causes = causesOf(error);
  if (causes.length > 0) out.causes = causes;
  if (withStack && error.stack !== undefined) out.stack = error.stack;
  return out;
}

/** The error with its causes in one line: `message ← cause ← cause`, for "same failure again?" checks. */
export function chainText(error: unknown): string {
  return [errorLine(error), ...causesOf(error)].join(" ← ");
}
