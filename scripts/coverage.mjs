#!/usr/bin/env node
// `pnpm coverage [folders...]`: runs the compiled tests (scripts/run-tests.mjs, same arguments and
// CACHECLUSTER_TEST_FILTER) under c8, which collects V8's coverage of every process (test files and the nodes they
// fork) and maps it through the source maps back to each package's src/*.ts. Prints line and branch coverage per
// package; the full report is in .cache/coverage/ (index.html, coverage-summary.json). Run `pnpm build` first.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".cache/coverage");
rmSync(out, { recursive: true, force: true });

const c8 = [
  join(root, "node_modules/.bin/c8"),
  "--temp-directory",
  join(out, "raw"),
  "--report-dir",
  out,
  "--reporter=json-summary",
  "--reporter=html",
  // Every source file counts, also those no test loads (at 0 %).
  "--all",
  "--src",
  "packages",
  "--include",
  "packages/*/src/**",
  "--exclude-after-remap",
  "--exclude",
  "**/*.d.ts",
];
const tests = spawnSync(c8[0] ?? "", [...c8.slice(1), process.execPath, join(root, "scripts/run-tests.mjs"), ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: root,
});

/** @typedef {{ total: number, covered: number }} Count */
/** @type {Record<string, { lines: Count, branches: Count, statements: Count, functions: Count }>} */
let summary;
try {
  summary = JSON.parse(readFileSync(join(out, "coverage-summary.json"), "utf8"));
} catch (error) {
  console.error(`coverage: no summary was written (${String(error)})`);
  process.exit(tests.status === 0 ? 1 : (tests.status ?? 1));
}

/** @type {Map<string, { lines: Count, branches: Count, files: number }>} */
const byPackage = new Map();
for (const [file, counts] of Object.entries(summary)) {
  if (file === "total") continue;
  const parts = relative(root, file).split(sep);
  if (parts[0] !== "packages" || parts[2] !== "src") continue;
  const name = parts[1] ?? "?";
  const p = byPackage.get(name) ?? { lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 }, files: 0 };
  p.lines.total += counts.lines.total;
  p.lines.covered += counts.lines.covered;
  p.branches.total += counts.branches.total;
  p.branches.covered += counts.branches.covered;
  p.files += 1;
  byPackage.set(name, p);
}

const pct = (/** @type {Count} */ c) => (c.total === 0 ? "-" : `${((100 * c.covered) / c.total).toFixed(1)} %`);
const rows = [...byPackage].sort(([a], [b]) => (a < b ? -1 : 1));
const total = rows.reduce(
  (t, [, p]) => ({
    lines: { total: t.lines.total + p.lines.total, covered: t.lines.covered + p.lines.covered },
    branches: { total: t.branches.total + p.branches.total, covered: t.branches.covered + p.branches.covered },
    files: t.files + p.files,
  }),
  { lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 }, files: 0 },
);
/** @type {(name: string, p: { lines: Count, branches: Count, files: number }) => string[]} */
const row = (name, p) => [
  name,
  pct(p.lines),
  `${p.lines.covered}/${p.lines.total}`,
  pct(p.branches),
  `${p.branches.covered}/${p.branches.total}`,
  String(p.files),
];
const table = [...rows.map(([name, p]) => row(`@cachecluster/${name}`, p)), row("all packages", total)];
const head = ["package (src/)", "lines", "", "branches", "", "files"];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] ?? "").length)));
const line = (/** @type {string[]} */ cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
console.log(
  `\ncoverage of the tests run${process.argv.length > 2 ? ` (${process.argv.slice(2).join(" ")})` : ""}, mapped to src/ (report: .cache/coverage/index.html)`,
);
console.log(line(head));
console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`);
for (const row of table) console.log(line(row));
process.exit(tests.status ?? 1);
