import { ConfigError } from "../errors.js";
import type { IniDocument } from "./ini.js";

/** Environment variables with the CACHECLUSTER_ prefix that are not config keys. */
export const RESERVED_ENV: ReadonlySet<string> = new Set(["CACHECLUSTER_PEERS", "CACHECLUSTER_CONFIG", "CACHECLUSTER_LOG", "CACHECLUSTER_LOG_LEVEL"]);
const ENV_PREFIX = "CACHECLUSTER_";

/**
 * Config values before validation, section by section, with where each came from: the ini file (with its line),
 * an environment variable, or the config object given in code.
 */
export interface ConfigSource {
  /** What the values were read from, e.g. `cachecluster.ini + environment` or `code`. */
  readonly description: string;
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
  /** Where a section or a key was set: `cachecluster.ini:3 [cache] port`, `environment CACHECLUSTER_CACHE_PORT`, `config cache.port`. */
  origin(section: string, key?: string): string;
}

class MutableSource implements ConfigSource {
  readonly sections = new Map<string, Map<string, unknown>>();
  readonly #origins = new Map<string, string>();
  readonly #fallback: (section: string, key?: string) => string;
  description: string;

  constructor(description: string, fallback: (section: string, key?: string) => string) {
    this.description = description;
    this.#fallback = fallback;
  }

  set(section: string, key: string, value: unknown, origin: string): void {
    let body = this.sections.get(section);
    if (body === undefined) {
      this.sections.set(section, (body = new Map<string, unknown>()));
      this.#origins.set(section, origin);
    }
    body.set(key, value);
    this.#origins.set(`${section}\u0000${key}`, origin);
  }

  touch(section: string, origin: string): void {
    if (this.sections.has(section)) return;
    this.sections.set(section, new Map());
    this.#origins.set(section, origin);
  }

  origin(section: string, key?: string): string {
    return this.#origins.get(key === undefined ? section : `${section}\u0000${key}`) ?? this.#fallback(section, key);
  }
}

/** The values of an ini document, then `CACHECLUSTER_<SECTION>_<KEY>` variables over them. */
export function sourceFromIni(doc: IniDocument, file: string, env: Readonly<Record<string, string | undefined>>): ConfigSource {
  const source = new MutableSource(file, (section, key) => `${file} [${section}]${key === undefined ? "" : ` ${key}`}`);
  const issues = [...doc.issues];
  for (const [section, body] of doc.sections) {
    source.touch(section, `${file}:${doc.headerLines.get(section) ?? "?"} [${section}]`);
    for (const [key, { value, line }] of body) source.set(section, key, value, `${file}:${line} [${section}] ${key}`);
  }
  let fromEnv = false;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || RESERVED_ENV.has(name) || value === undefined) continue;
    const rest = name.slice(ENV_PREFIX.length).toLowerCase();
    const cut = rest.indexOf("_");
    if (cut <= 0 || cut === rest.length - 1) {
      issues.push(`environment ${name}: not a config key; expected CACHECLUSTER_<SECTION>_<KEY>, such as CACHECLUSTER_CACHE_PORT`);
      continue;
    }
    source.set(rest.slice(0, cut), rest.slice(cut + 1), value, `environment ${name}`);
    fromEnv = true;
  }
  if (issues.length > 0) throw new ConfigError(issues);
  if (fromEnv) source.description = `${file} + environment`;
  return source;
}

/** The values of a config object given in code: `{ cache: { port: 9080 }, match: { zone: "..." } }`. */
export function sourceFromObject(input: unknown): ConfigSource {
  const source = new MutableSource("code", (section, key) => `config ${section}${key === undefined ? "" : `.${key}`}`);
  if (input === undefined || input === null) return source;
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new ConfigError([
      `config: expected an object of sections such as { cache: { port: 9080 } }, got ${Array.isArray(input) ? "an array" : typeof input}`,
    ]);
  }
  const issues: string[] = [];
  for (const [section, body] of Object.entries(input)) {
    if (body === undefined) continue;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      issues.push(`config ${section}: expected an object of keys such as { port: 9080 }, got ${JSON.stringify(body) ?? typeof body}`);
      continue;
    }
    source.touch(section, `config ${section}`);
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (value !== undefined) source.set(section, key, value, `config ${section}.${key}`);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return source;
}
