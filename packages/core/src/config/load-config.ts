import { readFile } from "node:fs/promises";
import type { ContainerModule } from "inversify";
import { ConfigError } from "../errors.js";
import { configOf } from "../plugin/define-plugin.js";
import { CacheClusterConfig } from "./cache-cluster-config.js";
import type { ConfigSection } from "./config-section.js";
import { sourceFromIni, sourceFromObject } from "./config-source.js";
import { parseIni } from "./ini.js";
import type { CacheClusterConfigInput } from "./config-input.js";

const DEFAULT_FILE = "cachecluster.ini";

/** What the config is for: plugins (their config declarations are read) or declarations. */
export type ConfigConsumers = readonly (ContainerModule | ConfigSection)[];

export interface LoadConfigOptions {
  /** The file to read; default `CACHECLUSTER_CONFIG`, else `./cachecluster.ini`. */
  readonly path?: string;
  /** Environment to read overrides from (default `process.env`); pass `{}` to ignore the environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The plugins the config is for. With them, every section and key is checked now, all problems in one
   * `ConfigError`; without them, core's keys are checked now and the rest when the cluster is assembled.
   */
  readonly plugins?: ConfigConsumers;
  /** A missing file is an error unless this is true (default: true only for `./cachecluster.ini` by default). */
  readonly optional?: boolean;
}

/**
 * Reads `cachecluster.ini` (the seed's format), applies environment overrides `CACHECLUSTER_<SECTION>_<KEY>`
 * (e.g. `CACHECLUSTER_CACHE_PORT=9081`), and validates the result. A file named by `path` or
 * `CACHECLUSTER_CONFIG` must exist; `./cachecluster.ini`, the default, may be absent (defaults apply).
 * Throws a `ConfigError` whose `issues` name the file, line, section and key of every problem.
 */
export async function loadConfig(pathOrOptions?: string | LoadConfigOptions, options: LoadConfigOptions = {}): Promise<CacheClusterConfig> {
  const o = typeof pathOrOptions === "string" ? { ...options, path: pathOrOptions } : { ...options, ...pathOrOptions };
  const env = o.env ?? process.env;
  const named = o.path ?? (env.CACHECLUSTER_CONFIG !== undefined && env.CACHECLUSTER_CONFIG !== "" ? env.CACHECLUSTER_CONFIG : undefined);
  const file = named ?? DEFAULT_FILE;
  const optional = o.optional ?? named === undefined;
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (!(optional && code === "ENOENT")) {
      const via = o.path === undefined && named !== undefined ? " (named by CACHECLUSTER_CONFIG)" : "";
      throw new ConfigError([`${file}${via}: cannot read the config file (${code ?? String(cause)})`], { cause, code: "CACHECLUSTER_CONFIG_UNREADABLE" });
    }
  }
  return parseConfigText(text, { file, env, ...(o.plugins === undefined ? {} : { plugins: o.plugins }) });
}

/** Parses ini text (plus environment overrides) into a validated config; `file` names the source in errors. */
export function parseConfigText(
  text: string,
  options: { file?: string; env?: Readonly<Record<string, string | undefined>>; plugins?: ConfigConsumers } = {},
): CacheClusterConfig {
  const file = options.file ?? DEFAULT_FILE;
  const doc = parseIni(text, file);
  const source = sourceFromIni(doc, file, options.env ?? {});
  return new CacheClusterConfig(source, configOf(options.plugins ?? []), options.plugins !== undefined);
}

/**
 * Validates a config given in code (`{ cache: { port: 9080 }, match: { zone: "us-central1-b" } }`); a
 * `CacheClusterConfig` is returned as it is (checked against `plugins` when given).
 */
export function parseConfig(input: CacheClusterConfigInput | CacheClusterConfig = {}, options: { plugins?: ConfigConsumers } = {}): CacheClusterConfig {
  const declarations = configOf(options.plugins ?? []);
  if (input instanceof CacheClusterConfig) {
    if (options.plugins !== undefined) input.check(declarations);
    return input;
  }
  return new CacheClusterConfig(sourceFromObject(input), declarations, options.plugins !== undefined);
}
