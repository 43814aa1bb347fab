import { ConfigError } from "../errors.js";
import type { ConfigSection } from "./config-section.js";
import type { ConfigSource } from "./config-source.js";
import { type AdminSettings, type CacheSettings, type ClusterSettings, adminSection, cacheSection, clusterSection, coreSections } from "./schema.js";
import { validateSections } from "./validate-sections.js";

const REDACTED = "<redacted>";

/**
 * A validated config: core's `[cache]` and `[cluster]` keys as typed fields, and every plugin's section through
 * `section(declaration)`. Made by `loadConfig` (file + environment) or `parseConfig` (code). The cluster checks
 * it against the declarations of the plugins it is given (`check`), so a section or key nobody owns is an error.
 */
export class CacheClusterConfig {
  /** `[cache]`: port, host, self, replicas, max_bytes, timeout. */
  readonly cache: CacheSettings;
  /** `[cluster]` keys core owns: port, host, name, advertise. Membership plugins read their own keys with `section()`. */
  readonly cluster: ClusterSettings;
  /** `[admin]`: enabled, host, port, on_peer_port (where the status page, metrics and health checks are served). */
  readonly admin: AdminSettings;
  /** The raw values and where each came from. */
  readonly source: ConfigSource;
  readonly #values = new Map<ConfigSection, unknown>();
  #checked: readonly ConfigSection[] | undefined;

  /**
   * Validates core's sections and `sections`, all problems in one `ConfigError`. With `complete`, `sections`
   * (plus core's) are all the declarations there are: unknown sections and keys are errors now.
   */
  constructor(source: ConfigSource, sections: readonly ConfigSection[] = [], complete = false) {
    this.source = source;
    if (complete) this.check(sections);
    else this.#validate([...coreSections, ...sections], false);
    this.cache = this.#values.get(cacheSection) as CacheSettings;
    this.cluster = this.#values.get(clusterSection) as ClusterSettings;
    this.admin = this.#values.get(adminSection) as AdminSettings;
  }

  /** The validated keys of one declared section (validated now if they were not yet; throws `ConfigError`). */
  section<T, I>(declaration: ConfigSection<T, I>): T {
    const key = declaration as unknown as ConfigSection;
    if (!this.#values.has(key)) this.#validate([key], false);
    return this.#values.get(key) as T;
  }

  /**
   * Checks the whole config against these declarations (core's are added): every declared key valid, no section
   * or key that none of them owns. Throws one `ConfigError` listing every problem. Cheap to call again with the
   * same declarations.
   */
  check(sections: readonly ConfigSection[]): void {
    const all = [...coreSections, ...sections.filter((s) => !(coreSections as readonly ConfigSection[]).includes(s))];
    if (this.#checked !== undefined && all.length === this.#checked.length && all.every((s) => this.#checked?.includes(s))) return;
    this.#validate(all, true);
    this.#checked = all;
  }

  /**
   * The values in effect, by section, for the status page: every validated declaration's keys, secrets
   * replaced by `<redacted>`.
   */
  effective(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [declaration, values] of this.#values) {
      const section = (out[declaration.name] ??= {});
      for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        const secret = declaration.sensitive.includes(key) && !(Array.isArray(value) && value.length === 0) && value !== undefined && value !== "";
        section[key] = secret ? REDACTED : value;
      }
    }
    return out;
  }

  #validate(sections: readonly ConfigSection[], complete: boolean): void {
    const { values, issues } = validateSections(this.source, sections, complete);
    if (issues.length > 0) throw new ConfigError(issues);
    for (const [declaration, value] of values) this.#values.set(declaration, value);
  }
}
