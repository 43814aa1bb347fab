import { type Level, type Logger as PinoLogger, pino } from "pino";
import { ConfigError } from "../errors.js";
import type { Logger } from "../interfaces/logger.js";
import { chainText, serializeError } from "./error-chain.js";

/** Levels `CACHECLUSTER_LOG_LEVEL` takes; `silent` logs nothing. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Cloud Logging's `severity` for each level (it reads the field from JSON lines on stderr/stdout). */
const SEVERITY: Record<Level, string> = { trace: "DEBUG", debug: "DEBUG", info: "INFO", warn: "WARNING", error: "ERROR", fatal: "CRITICAL" };

/** Options of `createDefaultLogger`. */
export interface DefaultLoggerOptions {
  /** Default: `CACHECLUSTER_LOG_LEVEL`, else `info`. */
  readonly level?: LogLevel;
  /** Where the JSON lines go (one `write` per line); default stderr, written synchronously so nothing is lost at exit. */
  readonly destination?: { write(line: string): void };
  /** Environment to read `CACHECLUSTER_LOG_LEVEL` from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A failure logged again within this many ms is counted instead of printed; default 60 000. */
  readonly repeatWindowMs?: number;
  /** Clock for the repeat window (tests). */
  readonly now?: () => number;
}

/** The level `CACHECLUSTER_LOG_LEVEL` names (default `info`); a `ConfigError` for anything else. */
export function logLevelFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): LogLevel {
  const raw = env.CACHECLUSTER_LOG_LEVEL?.trim().toLowerCase();
  if (raw === undefined || raw === "") return "info";
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new ConfigError([`environment CACHECLUSTER_LOG_LEVEL: expected one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(env.CACHECLUSTER_LOG_LEVEL)}`]);
}

/**
 * The logger a cluster uses when it is given none: pino, one JSON object per line on stderr, with the `severity`
 * field Google Cloud Logging reads (`INFO`, `WARNING`, ...), `message`, and `time`. An `err` field is written as its
 * type, code, message and cause chain, without stacks (they come at `debug`). The same failure (message and cause
 * chain) logged again within `repeatWindowMs` is not printed again; its next line after the window says how many
 * repeats were folded (`repeated`). Level: `CACHECLUSTER_LOG_LEVEL` (`silent` turns it off).
 */
export function createDefaultLogger(options: DefaultLoggerOptions = {}): Logger {
  const level = options.level ?? logLevelFromEnv(options.env);
  const withStack = level === "debug" || level === "trace";
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const base = pino(
    {
      level,
      messageKey: "message",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: SEVERITY[label as Level] ?? "DEFAULT" }) },
      serializers: { err: (error: unknown) => serializeError(error, withStack) },
    },
    destination,
  );
  return new RepeatFoldingLogger(base, options.repeatWindowMs ?? 60_000, options.now ?? Date.now);
}

const MAX_TRACKED = 1_000;

/** Prints a failure once per window: warn and error lines with an `err` are keyed by message and cause chain. */
class RepeatFoldingLogger implements Logger {
  readonly #pino: PinoLogger;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #seen = new Map<string, { printedAt: number; folded: number }>();

  constructor(base: PinoLogger, windowMs: number, now: () => number) {
    this.#pino = base;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  debug(obj: object | string, msg?: string): void {
    this.#write("debug", obj, msg);
  }

  info(obj: object | string, msg?: string): void {
    this.#write("info", obj, msg);
  }

  warn(obj: object | string, msg?: string): void {
    this.#write("warn", obj, msg);
  }

  error(obj: object | string, msg?: string): void {
    this.#write("error", obj, msg);
  }

  #write(level: "debug" | "info" | "warn" | "error", obj: object | string, msg: string | undefined): void {
    if (!this.#pino.isLevelEnabled(level)) return;
    if (typeof obj === "string") {
      this.#pino[level](obj);
      return;
    }
    const err = (obj as { err?: unknown }).err;
    if ((level === "warn" || level === "error") && err !== undefined) {
      const folded = this.#fold(`${level}\u0000${msg ?? ""}\u0000${chainText(err)}`);
      if (folded === undefined) return;
      if (folded > 0) obj = { ...obj, repeated: folded };
    }
    if (msg === undefined) this.#pino[level](obj);
    else this.#pino[level](obj, msg);
  }

  /** Undefined: drop this line; a number: print it, saying how many repeats were dropped since the last print. */
  #fold(key: string): number | undefined {
    const now = this.#now();
    const seen = this.#seen.get(key);
    if (seen !== undefined && now - seen.printedAt < this.#windowMs) {
      seen.folded++;
      return undefined;
    }
    const folded = seen?.folded ?? 0;
    this.#seen.delete(key);
    if (this.#seen.size >= MAX_TRACKED) this.#seen.delete(this.#seen.keys().next().value as string);
    this.#seen.set(key, { printedAt: now, folded: 0 });
    return folded;
  }
}
