import type { Logger } from "@cachecluster/core";

/** A pino-compatible logger on the console for the examples (use pino itself in an application). */
export function consoleLogger(prefix = "", level: "debug" | "info" | "warn" = "info"): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const write =
    (name: keyof typeof order) =>
    (obj: object | string, msg?: string): void => {
      if (order[name] < order[level]) return;
      const text = typeof obj === "string" ? obj : `${msg ?? ""} ${JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`;
      console.log(`${prefix}${name.padEnd(5)} ${text}`);
    };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
