import type { Logger } from "@cachecluster/core";

/** One entry a MemoryLogger kept: the fields object (`{}` when the call passed only a message) and the message. */
export interface LogEntry {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

/** A Logger that keeps every entry in order, for a test's assertions on what a plugin logged. */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[] = [];

  debug(obj: object | string, msg?: string): void {
    this.#add("debug", obj, msg);
  }

  info(obj: object | string, msg?: string): void {
    this.#add("info", obj, msg);
  }

  warn(obj: object | string, msg?: string): void {
    this.#add("warn", obj, msg);
  }

  error(obj: object | string, msg?: string): void {
    this.#add("error", obj, msg);
  }

  /** The entries of one level, in order. */
  at(level: LogEntry["level"]): LogEntry[] {
    return this.entries.filter((e) => e.level === level);
  }

  #add(level: LogEntry["level"], obj: object | string, msg?: string): void {
    this.entries.push(typeof obj === "string" ? { level, obj: {}, msg: obj } : { level, obj: obj as Record<string, unknown>, msg: msg ?? "" });
  }
}
