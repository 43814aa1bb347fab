import type { ConfigSection } from "./config-section.js";
import type { ConfigSource } from "./config-source.js";
import { didYouMean } from "./did-you-mean.js";
import { formatIssues } from "./format-issues.js";

export interface ValidationResult {
  readonly values: Map<ConfigSection, unknown>;
  readonly issues: string[];
}

/**
 * Validates the keys each declaration owns. With `complete`, the declarations are all there are, so a section
 * or key none of them owns is reported too (with a "did you mean"), and so is a key two of them claim.
 */
export function validateSections(source: ConfigSource, sections: readonly ConfigSection[], complete: boolean): ValidationResult {
  const issues: string[] = [];
  const values = new Map<ConfigSection, unknown>();
  if (complete) issues.push(...claimConflicts(sections), ...unclaimed(source, sections));
  for (const section of sections) {
    const body = source.sections.get(section.name);
    const input: Record<string, unknown> = {};
    if (body !== undefined) {
      for (const [key, value] of body) if (section.keys === undefined || section.keys.includes(key)) input[key] = value;
    }
    const result = section.schema.safeParse(input, { reportInput: true });
    if (result.success) {
      values.set(section, result.data);
      continue;
    }
    issues.push(
      ...formatIssues(result.error, input, (path) =>
        path.length === 0 ? source.origin(section.name) : `${source.origin(section.name, String(path[0]))}${subPath(path)}`,
      ),
    );
  }
  return { values, issues };
}

function subPath(path: readonly PropertyKey[]): string {
  return path
    .slice(1)
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("");
}

function claimConflicts(sections: readonly ConfigSection[]): string[] {
  const issues: string[] = [];
  const owners = new Map<string, string>();
  for (const section of sections) {
    for (const key of section.keys ?? ["*"]) {
      const id = `${section.name}.${key}`;
      const other = owners.get(id) ?? (key === "*" ? undefined : owners.get(`${section.name}.*`));
      if (other !== undefined && other !== section.owner) {
        issues.push(
          `[${section.name}]${key === "*" ? "" : ` ${key}`} is declared by both ${other} and ${section.owner}: two plugins cannot own one config key`,
        );
      }
      owners.set(id, section.owner);
    }
  }
  return issues;
}

function unclaimed(source: ConfigSource, sections: readonly ConfigSection[]): string[] {
  const issues: string[] = [];
  const byName = new Map<string, ConfigSection[]>();
  for (const section of sections) byName.set(section.name, [...(byName.get(section.name) ?? []), section]);
  for (const [name, body] of source.sections) {
    const claims = byName.get(name);
    if (claims === undefined) {
      const known = [...byName.keys()];
      issues.push(`${source.origin(name)}: unknown section [${name}]${didYouMean(name, known)}; known sections: ${known.map((k) => `[${k}]`).join(", ")}`);
      continue;
    }
    if (claims.some((c) => c.keys === undefined)) continue;
    const keys = claims.flatMap((c) => c.keys ?? []);
    for (const key of body.keys()) {
      if (keys.includes(key)) continue;
      issues.push(`${source.origin(name, key)}: unknown key "${key}" in [${name}]${didYouMean(key, keys)}; known keys: ${keys.join(", ")}`);
    }
  }
  return issues;
}
