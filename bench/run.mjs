#!/usr/bin/env node
// `pnpm bench`: runs every benchmark in bench/ one after the other (each prints its own table, with the
// reference it is compared against measured in the same run), then a summary table of every headline figure
// next to its reference. `pnpm bench local-hit ring` runs a subset.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && f !== "run.mjs" && !f.startsWith("_"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
// Each script adds its headline figures to this file (bench/_lib.mjs `summarize`); printed at the end.
const summaryFile = join(mkdtempSync(join(tmpdir(), "cachecluster-bench-")), "summary.jsonl");
writeFileSync(summaryFile, "");
let failed = 0;
for (const script of scripts) {
  console.log(`\n=== bench/${script} ===`);
  const r = spawnSync(process.execPath, [join(here, script)], { stdio: "inherit", env: { ...process.env, BENCH_SUMMARY_FILE: summaryFile } });
  if (r.status !== 0) failed++;
}
const rows = readFileSync(summaryFile, "utf8")
  .split("\n")
  .filter((line) => line !== "")
  .map((line) => JSON.parse(line));
if (rows.length > 0) {
  console.log("\n=== summary: cachecluster next to the reference measured in the same run (details above) ===");
  const columns = ["bench", "figure", "cachecluster", "reference", "ratio", "goal"];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((row) => String(row[c] ?? "-").length)));
  const line = (/** @type {unknown[]} */ cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log(line(columns));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(columns.map((c) => row[c] ?? "-")));
}
if (failed > 0) {
  console.error(`${failed} benchmark(s) failed`);
  process.exit(1);
}
