import type { Logger } from "@cachecluster/core";

export type Level = "debug" | "info" | "warn" | "error";

const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** Cloud Logging reads `severity` from a JSON line (the Ops Agent and the serial console both pass it on). */
const SEVERITY: Record<Level, string> = { debug: "DEBUG", info: "INFO", warn: "WARNING", error: "ERROR" };

/** An error as one short value: message, code, and the causes' messages (no stack: one line per event). */
function errorValue(error: Error): Record<string, unknown> {
  const causes: string[] = [];
  let cause: unknown = error.cause;
  while (cause instanceof Error && causes.length < 4) {
    causes.push(cause.message);
    cause = cause.cause;
  }
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }), ...(causes.length > 0 ? { causes } : {}) };
}

/**
 * A pino-compatible logger writing one JSON object per line to stdout (systemd sends it to the journal), with
 * the `severity` and `message` fields Cloud Logging reads. Use pino itself in a larger app.
 */
export function jsonLogger(level: Level, base: Readonly<Record<string, unknown>> = {}, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const at =
    (name: Level) =>
    (obj: object | string, msg?: string): void => {
      if (ORDER[name] < ORDER[level]) return;
      const fields = typeof obj === "string" ? {} : obj;
      const entry: Record<string, unknown> = {
        severity: SEVERITY[name],
        time: new Date().toISOString(),
        message: typeof obj === "string" ? obj : (msg ?? ""),
        ...base,
      };
      for (const [key, value] of Object.entries(fields)) entry[key] = value instanceof Error ? errorValue(value) : value;
      write(`${JSON.stringify(entry, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
