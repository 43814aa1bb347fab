import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { namespaceAvailable } from "@cachecluster/testing/fleet";
import type { ScenarioResult } from "../../src/fleet-run.js";
import { TEST_PROFILE } from "../../src/profiles.js";
import type { Scenario } from "../../src/scenarios/index.js";
import { phaseTable, resultTable } from "../../src/table.js";

const available = namespaceAvailable();

/** Why fleet tests cannot run here, or false. */
export const skipFleet: string | false = available.ok ? false : `a fleet needs network namespaces: ${available.reason}`;

/**
 * Runs one scenario with the test profile, prints its table row and phases, and checks `expect` on the result.
 * A failure carries the scenario's error (phase, VM, journal lines) and the fleet's last log lines.
 */
export function scenarioTest(title: string, property: string, scenario: Scenario, expect: (result: ScenarioResult) => void): void {
  describe(title, { skip: skipFleet }, () => {
    it(property, async (t) => {
      const lines: string[] = [];
      let result: ScenarioResult;
      try {
        result = await scenario(TEST_PROFILE, (line) => lines.push(line));
      } catch (error) {
        assert.fail(`${error instanceof Error ? error.message : String(error)}\n--- fleet log (last 40 lines) ---\n${lines.slice(-40).join("\n")}`);
      }
      t.diagnostic(`\n${resultTable([result])}\n${phaseTable(result)}`);
      expect(result);
    });
  });
}

/** Every phase's failures, for assertion messages. */
export function failures(result: ScenarioResult): string {
  return JSON.stringify(result.phases.flatMap((p) => p.failures.map((f) => ({ phase: p.phase, ...f }))).slice(0, 10));
}
