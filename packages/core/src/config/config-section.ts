import { z } from "zod";

/**
 * Keys that one component owns in one section of `cachecluster.ini` (and of the config object given in code),
 * with their zod schema. Core declares `[cache]` and `[cluster]`; a plugin declares its own sections (`[match]`,
 * `[meta]`) or more keys in a shared one (`[cluster] heartbeat`). The cluster validates every section and key
 * against the declarations of the plugins it was given: a section or key nobody declares is an error.
 */
export interface ConfigSection<T = unknown, I = unknown> {
  /** Section name: `[name]` in the ini file, the property `name` of the config object in code. Lower case. */
  readonly name: string;
  /** Who declares it, e.g. `@cachecluster/discovery-gce` (named in errors and docs). */
  readonly owner: string;
  /** The keys owned, or `undefined` for an open section whose every key is a value (`[meta]`). */
  readonly keys: readonly string[] | undefined;
  /** Validates the owned keys of the section (only those; unknown keys are reported by the cluster). */
  readonly schema: z.ZodType<T, I>;
  /** Keys whose values are never shown (status page, logs): secrets. */
  readonly sensitive: readonly string[];
  /** One row per key for the docs: `[section] key`, the default as text, the description. */
  readonly docs: readonly ConfigKeyDoc[];
}

export interface ConfigKeyDoc {
  readonly key: string;
  /** The default as written in the docs (`9080`, `[]`), or undefined when there is none. */
  readonly default: string | undefined;
  readonly description: string;
}

export interface ConfigSectionOptions {
  /** Keys whose values are secrets (never shown). */
  readonly sensitive?: readonly string[];
}

/**
 * Declares keys of a section. Give every key schema a `.describe("...")`: it is the key's documentation.
 * Ini values arrive as strings, so number and boolean keys should coerce (see `configValue`).
 */
export function configSection<Shape extends z.ZodRawShape>(
  name: string,
  owner: string,
  shape: Shape,
  options: ConfigSectionOptions = {},
): ConfigSection<z.output<z.ZodObject<Shape>>, z.input<z.ZodObject<Shape>>> {
  checkName(name);
  const schema = z.object(shape);
  const defaults = schema.safeParse({});
  const docs = Object.entries(shape).map(([key, keySchema]) => ({
    key,
    default: defaults.success ? showDefault((defaults.data as Record<string, unknown>)[key]) : undefined,
    description: describeSchema(keySchema, `${owner} [${name}] ${key}`),
  }));
  return { name, owner, keys: Object.keys(shape), schema, sensitive: options.sensitive ?? [], docs };
}

/**
 * Declares a section whose keys are free (`[meta]`): every key must match `key` and every value `value`.
 * `description` documents the `[name] <key>` row.
 */
export function openConfigSection<V>(
  name: string,
  owner: string,
  key: z.ZodType<string>,
  value: z.ZodType<V>,
  description: string,
): ConfigSection<Record<string, V>, Record<string, unknown>> {
  checkName(name);
  return {
    name,
    owner,
    keys: undefined,
    schema: z.record(key, value),
    sensitive: [],
    docs: [{ key: "<key>", default: undefined, description }],
  };
}

/** A markdown options table of these sections: `| option | default | meaning |`, one row per key. */
export function configTable(sections: readonly ConfigSection[]): string {
  const rows = ["| option | default | meaning |", "|---|---|---|"];
  for (const section of sections) {
    for (const doc of section.docs) {
      rows.push(`| \`[${section.name}] ${doc.key}\` | ${doc.default === undefined ? "—" : `\`${doc.default}\``} | ${doc.description} |`);
    }
  }
  return rows.join("\n");
}

function checkName(name: string): void {
  if (!/^[a-z][a-z0-9]*$/.test(name)) {
    throw new TypeError(
      `expected a config section name of lower-case letters and digits (it is also the CACHECLUSTER_<SECTION>_ prefix), got ${JSON.stringify(name)}`,
    );
  }
}

/** The description of a key's schema, also when `.describe()` came before `.optional()` or `.default()`. */
function describeSchema(schema: z.core.$ZodType, what: string): string {
  for (let s: z.core.$ZodType | undefined = schema; s !== undefined; s = (s._zod.def as { innerType?: z.core.$ZodType }).innerType) {
    const description = z.globalRegistry.get(s)?.description;
    if (description !== undefined && description.trim() !== "") return description;
  }
  throw new TypeError(`config key ${what} has no .describe(): every key needs its documentation`);
}

function showDefault(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
}
