// Clusters of SWIM members on loopback, one process each, for bench/swim-loopback.mjs and bench/swim-busy.mjs:
// cachecluster members (packages/membership-swim's test fixture) or Go memberlist 0.2.2 members
// (packages/testing/go/memberlist-peer), with memberlist's DefaultLANConfig timings.
import { setTimeout as sleep } from "node:timers/promises";
import { MemberProcess } from "../packages/membership-swim/dist/test/helpers/processes.js";

/** @typedef {"ts" | "go"} Kind */

/**
 * Polls `done()` every 20 ms for up to `timeoutMs`; whether it held.
 * @param {() => boolean} done
 * @param {number} timeoutMs
 */
export async function pollUntil(done, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (done()) return true;
    await sleep(20);
  }
  return done();
}

/**
 * `n` members of one kind joined through the first; resolves once every one sees all `n`.
 * @param {Kind} kind
 * @param {number} n
 * @param {string} prefix member names are `${prefix}${i}`
 * @param {{ goBinary: string, goArgs?: string[], launcher?: string[] }} how the Go binary (buildGoProgram("memberlist-peer")),
 *   extra Go flags, and a command to run each member through (e.g. `["nice", "-n", "10"]`)
 */
export async function swimCluster(kind, n, prefix, { goBinary, goArgs = [], launcher = [] }) {
  /** @type {(name: string, join: string[]) => MemberProcess} */
  const spawnOne = (name, join) =>
    kind === "ts"
      ? new MemberProcess(name, join, {}, undefined, launcher)
      : new MemberProcess(name, join, {}, { binary: goBinary, args: ["-meta", JSON.stringify({ cacheUrl: `http://127.0.0.1/${name}` }), ...goArgs] }, launcher);
  const seed = spawnOne(`${prefix}0`, []);
  await seed.ready();
  const rest = [];
  for (let i = 1; i < n; i++) {
    rest.push(spawnOne(`${prefix}${i}`, [seed.address]));
    await sleep(20);
  }
  await Promise.all(rest.map((p) => p.ready()));
  const members = [seed, ...rest];
  const ok = await pollUntil(() => members.every((p) => p.members.length === n), 60_000);
  if (!ok) throw new Error(`${kind} cluster of ${n} did not converge: ${members.map((p) => p.members.length).join(",")}`);
  return members;
}
