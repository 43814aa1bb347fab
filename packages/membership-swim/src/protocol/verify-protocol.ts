import { NodeStateType, type PushNodeState } from "../wire/index.js";
import type { NodeState } from "./node-state.js";

/**
 * memberlist's verifyProtocol: every alive member (ours and the remote's) must speak a protocol and
 * delegate version inside the range all of them understand. Returns the reason when not, else undefined.
 */
export function verifyProtocol(remote: readonly PushNodeState[], local: readonly NodeState[]): string | undefined {
  let maxpmin = 0;
  let minpmax = 255;
  let maxdmin = 0;
  let mindmax = 255;
  for (const rn of remote) {
    if (rn.State !== NodeStateType.Alive || rn.Vsn.byteLength === 0) continue;
    maxpmin = Math.max(maxpmin, rn.Vsn[0] ?? 0);
    minpmax = Math.min(minpmax, rn.Vsn[1] ?? 0);
    maxdmin = Math.max(maxdmin, rn.Vsn[3] ?? 0);
    mindmax = Math.min(mindmax, rn.Vsn[4] ?? 0);
  }
  for (const n of local) {
    if (n.state !== NodeStateType.Alive) continue;
    maxpmin = Math.max(maxpmin, n.vsn[0] ?? 0);
    minpmax = Math.min(minpmax, n.vsn[1] ?? 0);
    maxdmin = Math.max(maxdmin, n.vsn[3] ?? 0);
    mindmax = Math.min(mindmax, n.vsn[4] ?? 0);
  }
  const check = (name: string, pcur: number, dcur: number): string | undefined => {
    if (pcur < maxpmin || pcur > minpmax) return `member ${JSON.stringify(name)} protocol version (${pcur}) is incompatible: [${maxpmin}, ${minpmax}]`;
    if (dcur < maxdmin || dcur > mindmax) return `member ${JSON.stringify(name)} delegate protocol version (${dcur}) is incompatible: [${maxdmin}, ${mindmax}]`;
    return undefined;
  };
  for (const n of remote) {
    const problem = check(n.Name, n.Vsn.byteLength > 0 ? (n.Vsn[2] ?? 0) : 0, n.Vsn.byteLength > 0 ? (n.Vsn[5] ?? 0) : 0);
    if (problem !== undefined) return problem;
  }
  for (const n of local) {
    const problem = check(n.name, n.vsn[2] ?? 0, n.vsn[5] ?? 0);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
