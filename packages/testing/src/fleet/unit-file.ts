// systemd unit files, as far as the fleet simulator runs services: parsing (sections, repeated keys, line
// continuations, specifiers of template instances), Environment=/EnvironmentFile= and ExecStart= with
// systemd's variable expansion. What the simulator reads but does not apply is listed in IGNORED_SETTINGS.
import { FleetError } from "./errors.js";

export type UnitSections = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

/** Service settings the simulator reads and acts on. */
export const APPLIED_SETTINGS = [
  "Type",
  "User",
  "Group",
  "WorkingDirectory",
  "Environment",
  "EnvironmentFile",
  "ExecStart",
  "KillSignal",
  "KillMode",
  "TimeoutStopSec",
  "Restart",
  "RestartSec",
  "LimitNOFILE",
  "StandardOutput",
  "StandardError",
  "SyslogIdentifier",
] as const;

/** Settings a real VM's systemd applies and the simulator does not (sandboxing, ordering). */
export const IGNORED_SETTINGS = ["NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "ProtectKernelTunables", "ProtectControlGroups"] as const;

/** Splits a unit name: `cachecluster@0.service` → prefix `cachecluster`, instance `0`, the template's file name. */
export function unitName(name: string): { prefix: string; instance: string | undefined; file: string } {
  const m = /^([^@]+)@([^.]*)\.(service|target|socket|timer)$/.exec(name);
  if (m !== null) return { prefix: m[1]!, instance: m[2]!, file: `${m[1]}@.${m[3]}` };
  return { prefix: name.replace(/\.[a-z]+$/, ""), instance: undefined, file: name };
}

/** Parses unit-file text into sections → keys → values (in order; an empty assignment resets a list). */
export function parseUnitFile(text: string, name: string): UnitSections {
  const { prefix, instance } = unitName(name);
  const sections = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  const joined = text.replace(/\\\n/g, " ");
  for (const [index, raw] of joined.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header !== null) {
      section = new Map();
      sections.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf("=");
    if (section === undefined || eq <= 0) throw new FleetError(`unit ${name} line ${index + 1}: expected [Section] or Key=Value, got "${line}"`);
    const key = line.slice(0, eq).trim();
    const value = expandSpecifiers(line.slice(eq + 1).trim(), name, prefix, instance);
    if (value === "") section.set(key, []);
    else section.set(key, [...(section.get(key) ?? []), value]);
  }
  return sections;
}

function expandSpecifiers(value: string, name: string, prefix: string, instance: string | undefined): string {
  return value.replace(/%(.)/g, (_m, c: string) => {
    switch (c) {
      case "i":
      case "I":
        if (instance === undefined) throw new FleetError(`unit ${name}: %${c} is only defined for template instances`);
        return instance;
      case "n":
        return name;
      case "p":
        return prefix;
      case "%":
        return "%";
      default:
        throw new FleetError(`unit ${name}: the simulator does not know specifier %${c}`);
    }
  });
}

/** Splits a command line or an Environment= value into words, honouring double and single quotes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new FleetError(`unbalanced quote in ${JSON.stringify(text)}`);
  if (inWord) words.push(word);
  return words;
}

/** `KEY=value` assignments of Environment= values. */
export function parseEnvironment(values: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of values) {
    for (const word of splitWords(value)) {
      const eq = word.indexOf("=");
      if (eq <= 0) throw new FleetError(`Environment=: expected KEY=value, got ${JSON.stringify(word)}`);
      env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}

/** The assignments of an EnvironmentFile (KEY=value lines; # and ; comments; quotes around a value removed). */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    env[line.slice(0, eq).trim()] = value;
  }
  return env;
}

/**
 * ExecStart= as argv: prefixes (`-@:+!`) removed, `${VAR}` replaced inside a word, a word that is exactly
 * `$VAR` replaced by the value split at whitespace (systemd's rules); unknown variables expand to nothing.
 */
export function execArgv(execStart: string, env: Readonly<Record<string, string>>): string[] {
  const command = execStart.replace(/^[-@:+!]+/, "");
  const argv: string[] = [];
  for (const word of splitWords(command)) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole !== null) {
      argv.push(...(env[whole[1]!] ?? "").split(/\s+/).filter((w) => w !== ""));
      continue;
    }
    argv.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, v: string) => env[v] ?? ""));
  }
  if (argv.length === 0 || !argv[0]!.startsWith("/")) throw new FleetError(`ExecStart=${execStart}: expected an absolute path to run`);
  return argv;
}

/** A systemd time span in ms: `20`, `20s`, `500ms`, `2min`, `1h`, `infinity`. */
export function parseTimespan(text: string, key: string): number {
  if (text === "infinity") return Number.POSITIVE_INFINITY;
  let total = 0;
  const units: Record<string, number> = { "": 1000, us: 0.001, ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000 };
  const parts = text.replace(/\s+/g, "").match(/\d+(?:\.\d+)?[a-z]*/g);
  if (parts === null || parts.join("") !== text.replace(/\s+/g, "")) throw new FleetError(`${key}=${text}: expected a time span such as 20s`);
  for (const part of parts) {
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part)!;
    const unit = units[m[2]!];
    if (unit === undefined) throw new FleetError(`${key}=${text}: unknown unit "${m[2]}"`);
    total += Number(m[1]) * unit;
  }
  return total;
}
