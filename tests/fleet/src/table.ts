import type { ScenarioResult } from "./fleet-run.js";

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const millis = (ms: number): string => (Number.isFinite(ms) ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : "-");

/** The summary table of scenario results (markdown), with each scenario's notes under it. */
export function resultTable(results: readonly ScenarioResult[]): string {
  const header = ["scenario", "fleet", "gets", "failed", "extra loads / key", "p50", "p99", "one ring"];
  const rows = results.map((r) => [
    r.scenario,
    r.fleet,
    String(r.gets),
    String(r.failed),
    r.extraLoadsPerKey.toFixed(2),
    millis(r.p50Ms),
    millis(r.p99Ms),
    r.rings.map((t) => `${seconds(t.ms)} after ${t.after}`).join("; "),
  ]);
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.scenario}: ${n}`));
  return [...lines, ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

/** One line per phase of a scenario's load. */
export function phaseTable(result: ScenarioResult): string {
  return result.phases
    .map(
      (p) =>
        `  ${p.phase.padEnd(48)} ${String(p.gets).padStart(6)} gets ${String(p.failed).padStart(4)} failed  p50 ${millis(p.p50Ms).padStart(7)}  p99 ${millis(p.p99Ms).padStart(7)}  max ${millis(p.maxMs).padStart(7)}`,
    )
    .join("\n");
}
