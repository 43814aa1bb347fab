import { readFile } from "node:fs/promises";
import { parse as parseIni } from "ini";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { type CacheClusterConfig, type CacheClusterConfigInput, configSchema } from "./schema.js";

const ENV_PREFIX = "CACHECLUSTER_";
/** Environment variables with this prefix that are not config keys. */
const RESERVED_ENV = new Set(["CACHECLUSTER_PEERS", "CACHECLUSTER_CONFIG", "CACHECLUSTER_LOG"]);
const SECTIONS = ["cache", "cluster", "match", "meta"] as const;

export interface LoadConfigOptions {
  /** Environment to read overrides from (default `process.env`); pass `{}` to ignore the environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A missing file is an error unless this is true (default: true for the default path only). */
  readonly optional?: boolean;
}

/**
 * Reads `cachecluster.ini` (the seed's format: sections cache, cluster, match, meta), applies environment
 * overrides `CACHECLUSTER_<SECTION>_<KEY>` (e.g. `CACHECLUSTER_CACHE_PORT=9081`), and validates the result.
 * Throws a `ConfigError` whose `issues` name the file, section and key of every bad value.
 */
export async function loadConfig(path?: string, options: LoadConfigOptions = {}): Promise<CacheClusterConfig> {
  const env = options.env ?? process.env;
  const file = path ?? env.CACHECLUSTER_CONFIG ?? "cachecluster.ini";
  const optional = options.optional ?? path === undefined;
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (!(optional && code === "ENOENT")) {
      throw new ConfigError([`${file}: cannot read the config file (${code ?? String(cause)})`], {
        cause,
        code: "CACHECLUSTER_CONFIG_UNREADABLE",
      });
    }
  }
  return parseConfigText(text, { file, env });
}

/** Parses ini text (plus environment overrides) into a validated config; `file` only names the source in errors. */
export function parseConfigText(text: string, options: { file?: string; env?: Readonly<Record<string, string | undefined>> } = {}): CacheClusterConfig {
  const file = options.file ?? "cachecluster.ini";
  const raw = parseIni(text) as Record<string, unknown>;
  const issues: string[] = [];
  const input: Record<string, Record<string, unknown>> = {};
  const origin = new Map<string, string>();
  for (const [section, body] of Object.entries(raw)) {
    if (typeof body !== "object" || body === null) {
      issues.push(`${file}: key "${section}" is outside any section; expected it under one of [${SECTIONS.join("], [")}]`);
      continue;
    }
    input[section] = { ...(body as Record<string, unknown>) };
    for (const key of Object.keys(body)) origin.set(`${section}.${key}`, `${file} [${section}] ${key}`);
  }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (!name.startsWith(ENV_PREFIX) || RESERVED_ENV.has(name) || value === undefined) continue;
    const rest = name.slice(ENV_PREFIX.length).toLowerCase();
    const cut = rest.indexOf("_");
    const section = cut === -1 ? rest : rest.slice(0, cut);
    const key = cut === -1 ? "" : rest.slice(cut + 1);
    if (!(SECTIONS as readonly string[]).includes(section) || key === "") {
      issues.push(`environment ${name}: not a config key; expected CACHECLUSTER_<SECTION>_<KEY> with SECTION one of ${SECTIONS.join(", ")}`);
      continue;
    }
    (input[section] ??= {})[key] = value;
    origin.set(`${section}.${key}`, `environment ${name}`);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return validate(input, (path) => origin.get(path.slice(0, 2).join(".")) ?? `${file} ${describePath(path)}`);
}

/** Validates a config given in code (`createCacheCluster({ cache: { port: 9080 } }, ...)`). */
export function parseConfig(input: CacheClusterConfigInput | CacheClusterConfig = {}): CacheClusterConfig {
  return validate(input, (path) => `config ${path.length > 0 ? path.join(".") : "(root)"}`);
}

function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  const [section, key, ...rest] = path.map(String);
  return key === undefined ? `[${section}]` : `[${section}] ${[key, ...rest].join(".")}`;
}

function validate(input: unknown, where: (path: readonly PropertyKey[]) => string): CacheClusterConfig {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => formatIssue(issue, input, where)),
    { cause: result.error },
  );
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown, where: (path: readonly PropertyKey[]) => string): string {
  if (issue.code === "unrecognized_keys") {
    return issue.keys
      .map((key) => {
        const path = [...issue.path, key];
        const known = path.length === 1 ? ` (sections: ${SECTIONS.join(", ")})` : "";
        return `${where(path)}: unknown ${path.length === 1 ? "section" : "key"} "${key}"${known}`;
      })
      .join("\n  ");
  }
  // The raw value as written (the issue's own input may be the coerced NaN).
  const raw = issue.path.reduce<unknown>(
    (node, key) => (typeof node === "object" && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  );
  const got = raw !== undefined && typeof raw !== "object" ? `, got ${JSON.stringify(raw)}` : "";
  return `${where(issue.path)}: ${issue.message}${got}`;
}
