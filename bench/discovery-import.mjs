#!/usr/bin/env node
// Cold `import` time of @cachecluster/discovery-gce (built dist), each sample in a fresh node process, against
// the references measured in the same run: @cachecluster/core alone (what the package adds on top of it), and
// the Google clients it loads lazily on the first refresh (@google-cloud/compute, gcp-metadata).
// Usage: node bench/discovery-import.mjs [samples=7]
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { summarize } from "./_lib.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const samples = Number(process.argv[2] ?? 7);
const gceRequire = createRequire(join(root, "packages/discovery-gce/package.json"));
const targets = {
  "@cachecluster/core": join(root, "packages/core/dist/src/index.js"),
  "@cachecluster/discovery-gce": join(root, "packages/discovery-gce/dist/src/index.js"),
  "gcp-metadata (lazy)": gceRequire.resolve("gcp-metadata"),
  "@google-cloud/compute (lazy)": gceRequire.resolve("@google-cloud/compute"),
};

/** @param {string} file */
function coldImportMs(file) {
  const code = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" }).trim());
}

const median = (/** @type {number[] | undefined} */ xs = []) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
/** @type {Record<string, number[]>} */
const results = {};
for (let i = 0; i < samples; i++) {
  // Interleave the targets so background load hits them alike.
  for (const [name, file] of Object.entries(targets)) (results[name] ??= []).push(coldImportMs(file));
}
const core = median(results["@cachecluster/core"]);
console.log(`cold import, median of ${samples} fresh processes (node ${process.version}):`);
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(
    `  ${name.padEnd(30)} ${m.toFixed(1).padStart(8)} ms   (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})   ${(m / core).toFixed(2)}x core`,
  );
}
const gce = median(results["@cachecluster/discovery-gce"]);
summarize({
  bench: "discovery-import",
  figure: "cold import of @cachecluster/discovery-gce, ms",
  cachecluster: gce.toFixed(0),
  reference: `@cachecluster/core alone ${core.toFixed(0)}`,
  ratio: `${(gce / core).toFixed(2)}x`,
  goal: "compute client loaded lazily",
});
console.log(
  `  discovery-gce adds ${(gce - core).toFixed(1)} ms over core; the first refresh pays @google-cloud/compute (${median(results["@google-cloud/compute (lazy)"]).toFixed(0)} ms) instead of start-up`,
);
