// `pnpm fleet`: runs the fleet scenarios of issue 15 on a simulated GCE fleet (network namespaces; needs root)
// and prints the summary table.   node tests/fleet/dist/src/main.js [--profile real|test] [--only a,c] [--json FILE]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { namespaceAvailable } from "@cachecluster/testing/fleet";
import type { ScenarioResult } from "./fleet-run.js";
import { REAL_PROFILE, TEST_PROFILE } from "./profiles.js";
import { SCENARIOS } from "./scenarios/index.js";
import { phaseTable, resultTable } from "./table.js";

const { values } = parseArgs({
  options: {
    profile: { type: "string", default: "real" },
    only: { type: "string", default: Object.keys(SCENARIOS).join(",") },
    json: { type: "string" },
    quiet: { type: "boolean", default: false },
  },
});
const profile = values.profile === "test" ? TEST_PROFILE : values.profile === "real" ? REAL_PROFILE : undefined;
if (profile === undefined) {
  console.error(`--profile: expected real or test, got ${values.profile}`);
  process.exit(2);
}
const letters = values.only.split(",").map((s) => s.trim());
const unknown = letters.filter((l) => SCENARIOS[l] === undefined);
if (unknown.length > 0) {
  console.error(`--only: unknown scenario(s) ${unknown.join(", ")}; expected letters from ${Object.keys(SCENARIOS).join(", ")}`);
  process.exit(2);
}
const available = namespaceAvailable();
if (!available.ok) {
  console.error(
    `pnpm fleet needs network namespaces: ${available.reason}.\nRun it as root, e.g. sudo pnpm fleet, or: unshare -n sh -c 'ip link set lo up && pnpm fleet'`,
  );
  process.exit(1);
}

const results: ScenarioResult[] = [];
const failures: string[] = [];
for (const letter of letters) {
  const started = performance.now();
  console.log(`\n═══ scenario (${letter}), profile ${profile.name}`);
  try {
    const result = await SCENARIOS[letter]!(profile, values.quiet ? undefined : (line) => console.log(line));
    results.push(result);
    console.log(`scenario (${letter}) done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log(phaseTable(result));
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    failures.push(`(${letter}): ${text}`);
    console.log(`scenario (${letter}) FAILED after ${((performance.now() - started) / 1000).toFixed(0)} s:\n${text}`);
  }
}
console.log(
  `\n═══ summary (profile ${profile.name}; load: ${profile.load.rate} gets/s zipf s=${profile.load.zipfS} over ${profile.load.keys} keys, through every VM)\n`,
);
console.log(resultTable(results));
if (failures.length > 0) console.log(`\nfailed:\n${failures.join("\n")}`);
if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ profile: profile.name, results, failures }, null, 2));
process.exit(failures.length > 0 ? 1 : 0);
