/**
 * A component that can say what keeps it from doing its job: a discovery that finds no instance (which filter
 * removed how many), a membership whose seeds do not answer or refuse its key. Optional, next to `Observable`:
 * the cluster asks when a node stays in local mode too long (and logs the answer once, at warning level), and the
 * status page shows it.
 */
export interface Diagnosable {
  /**
   * Why the component is not doing its job now, in one line that names what to change
   * (`no instance matched: 12 RUNNING, 0 with tag "cache"; set [match] tags`), or undefined when nothing is
   * wrong. Cheap, must not throw.
   */
  diagnose(): string | undefined;
  /** The latest failure (also after recovery), for the status page: its text and `Date.now()` when it happened. */
  lastError?(): { readonly message: string; readonly at: number } | undefined;
}

/** `diagnose()` of a component, or undefined when it has none, has nothing to say, or throws. */
export function readDiagnosis(component: unknown): string | undefined {
  if (typeof component !== "object" || component === null) return undefined;
  const diagnose = (component as Partial<Diagnosable>).diagnose;
  if (typeof diagnose !== "function") return undefined;
  try {
    const text: unknown = diagnose.call(component);
    return typeof text === "string" && text.trim() !== "" ? text : undefined;
  } catch {
    return undefined;
  }
}

/** `lastError()` of a component, or undefined. */
export function readLastError(component: unknown): { message: string; at: number } | undefined {
  if (typeof component !== "object" || component === null) return undefined;
  const lastError = (component as Partial<Diagnosable>).lastError;
  if (typeof lastError !== "function") return undefined;
  try {
    const e: unknown = lastError.call(component);
    if (typeof e !== "object" || e === null) return undefined;
    const { message, at } = e as { message?: unknown; at?: unknown };
    return typeof message === "string" && typeof at === "number" ? { message, at } : undefined;
  } catch {
    return undefined;
  }
}
