#!/usr/bin/env node
// Public API reports (api/<package>.api.md) of every published package, made by api-extractor from the built
// .d.ts files (run `pnpm build` first).
//   node scripts/api-report.mjs          check: fails when a package's public API differs from its reviewed report
//   node scripts/api-report.mjs --update rewrite the reports (review the diff and commit it with the change)
import { spawnSync } from "node:child_process";
import { readdirSync, existsSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const update = process.argv.includes("--update");
const bin = join(root, "node_modules/.bin/api-extractor");
const packages = readdirSync(join(root, "packages")).filter((p) => existsSync(join(root, "packages", p, "api-extractor.json")));
const failed = [];
for (const pkg of packages) {
  const result = spawnSync(bin, ["run", ...(update ? ["--local"] : [])], { cwd: join(root, "packages", pkg), encoding: "utf8" });
  if (result.status !== 0) {
    failed.push(pkg);
    process.stderr.write(`--- ${pkg}\n${result.stdout}${result.stderr}\n`);
  }
}
if (failed.length > 0) {
  console.error(
    update
      ? `api-report: api-extractor failed for ${failed.join(", ")}`
      : `api-report: the public API of ${failed.join(", ")} differs from api/*.api.md; if the change is intended, run \`pnpm api\` and commit the updated report`,
  );
  process.exit(1);
}
console.log(`api-report: ${update ? "updated" : "checked"} ${packages.length} reports (${packages.join(", ")})`);
