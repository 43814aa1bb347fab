#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) of the given package folders
// (default: every package and tests/*) with node's built-in test runner.
// CACHECLUSTER_TEST_FILTER=substring narrows the files; extra args after `--` go to node --test.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const sep = argv.indexOf("--");
const dirs = (sep === -1 ? argv : argv.slice(0, sep)).map((d) => resolve(d));
const passThrough = sep === -1 ? [] : argv.slice(sep + 1);

/** @param {string} parent */
function listDirs(parent) {
  const abs = join(root, parent);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .map((d) => join(abs, d))
    .filter((d) => statSync(d).isDirectory());
}

/**
 * @param {string} dir
 * @param {string[]} out
 * @returns {string[]}
 */
function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const roots = dirs.length > 0 ? dirs : [...listDirs("packages"), ...listDirs("tests")];
const filter = process.env.CACHECLUSTER_TEST_FILTER;
const files = roots
  .flatMap((d) => walk(join(d, "dist", "test"), []))
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no compiled test files found; did `tsc -b` run?");
  process.exit(1);
}
// The fleet scenarios (tests/fleet/**/scenario-*) each boot several node processes: they run after the rest, one
// at a time, with a longer timeout, so they neither starve nor are starved by the other files.
/** @param {string} f */
const isFleetScenario = (f) => f.includes(`${join("tests", "fleet", "dist", "test")}`) && /scenario-[^/]*\.test\.js$/.test(f);
/**
 * @param {string[]} list
 * @param {number} concurrency
 * @param {number} timeoutMs
 * @returns {number}
 */
const run = (list, concurrency, timeoutMs) =>
  list.length === 0
    ? 0
    : (spawnSync(
        process.execPath,
        ["--test", "--test-reporter=spec", `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, ...passThrough, ...list],
        {
          stdio: "inherit",
          cwd: root,
          // Clusters log JSON lines on stderr by default; tests that check logging set the level themselves.
          env: { CACHECLUSTER_LOG_LEVEL: "silent", ...process.env },
        },
      ).status ?? 1);
const first = run(
  files.filter((f) => !isFleetScenario(f)),
  2,
  240_000,
);
const second = run(files.filter(isFleetScenario), 1, 300_000);
process.exit(first !== 0 ? first : second);
