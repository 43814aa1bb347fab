/**
 * A strict reader of the seed tool's ini format: `[section]` headers, `key = value` lines, comments from `;` or
 * `#` at the start of a line or after whitespace, values optionally in double quotes (to keep a `;` or `#`).
 * Unlike lenient ini readers it reports what they silently accept: a duplicated key, a line without `=`, a key
 * outside any section, a malformed header. Every problem names the file and line.
 */

/** One `key = value` line. */
export interface IniValue {
  readonly value: string;
  /** 1-based line number. */
  readonly line: number;
}

export interface IniDocument {
  /** Sections in file order; a section header repeated later continues the same section. */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, IniValue>>;
  /** The line of each section's first header. */
  readonly headerLines: ReadonlyMap<string, number>;
  /** Problems, each starting with `file:line`. */
  readonly issues: readonly string[];
}

const SECTION = /^\[\s*([A-Za-z0-9_.-]+)\s*\]$/;
const KEY = /^[A-Za-z0-9_.-]+$/;

export function parseIni(text: string, file: string): IniDocument {
  const sections = new Map<string, Map<string, IniValue>>();
  const headerLines = new Map<string, number>();
  const issues: string[] = [];
  let current: Map<string, IniValue> | undefined;
  let currentName = "";
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = `${file}:${lineNo}`;
    const line = stripComment(lines[i] ?? "").trim();
    if (line === "") continue;
    if (line.startsWith("[")) {
      const m = SECTION.exec(line);
      if (m === null) {
        issues.push(`${where}: expected a section header such as [cache], got ${JSON.stringify(line)}`);
        current = undefined;
        continue;
      }
      currentName = m[1]!.toLowerCase();
      current = sections.get(currentName);
      if (current === undefined) {
        sections.set(currentName, (current = new Map<string, IniValue>()));
        headerLines.set(currentName, lineNo);
      }
      continue;
    }
    const eq = line.indexOf("=");
    if (eq === -1) {
      issues.push(`${where}: expected "key = value", got ${JSON.stringify(line)}`);
      continue;
    }
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) {
      issues.push(`${where}: expected a key of letters, digits, "_", "-" or ".", got ${JSON.stringify(key)}`);
      continue;
    }
    if (current === undefined) {
      issues.push(`${where}: key "${key}" is outside any section; put it under a header such as [cache]`);
      continue;
    }
    const value = unquote(line.slice(eq + 1).trim(), where, issues);
    if (value === undefined) continue;
    const previous = current.get(key);
    if (previous !== undefined) {
      issues.push(`${where}: [${currentName}] ${key} is set twice (first on line ${previous.line}); keep one`);
      continue;
    }
    current.set(key, { value, line: lineNo });
  }
  return { sections, headerLines, issues };
}

/** The line without a trailing comment (`;` or `#` at the start or after whitespace, outside double quotes). */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ";" || c === "#") && (i === 0 || line[i - 1] === " " || line[i - 1] === "\t")) return line.slice(0, i);
  }
  return line;
}

function unquote(raw: string, where: string, issues: string[]): string | undefined {
  if (!raw.startsWith('"')) return raw;
  if (raw.length < 2 || !raw.endsWith('"')) {
    issues.push(`${where}: unterminated quoted value ${raw}`);
    return undefined;
  }
  return raw.slice(1, -1);
}
