import { joinHostPort, type MemberState } from "@cachecluster/core";
import { bytesToIp } from "./protocol/addr.js";
import { decodeMeta } from "./protocol/meta.js";
import type { NodeState } from "./protocol/node-state.js";
import type { Alive, PushNodeState } from "./wire/index.js";

/** A member as the hooks (`notifyAlive`, `notifyMerge`, `notifyConflict`) see it: memberlist's Node. */
export interface SwimPeer {
  /** Its name (memberlist's Node.Name). */
  readonly id: string;
  /** `host:port` it gossips on. */
  readonly address: string;
  /** Its metadata as sent (memberlist's Node.Meta; a Go member may put anything there). */
  readonly meta: Uint8Array;
  /** The cache URL in its metadata, "" when there is none (a Go member that is not a cache). */
  readonly cacheUrl: string;
  /** Its state as the message or list describing it says. */
  readonly state: MemberState;
}

const STATES: Record<number, MemberState> = { 0: "alive", 1: "suspect", 2: "dead", 3: "left" };

function peer(id: string, addr: Uint8Array, port: number, meta: Uint8Array, state: number): SwimPeer {
  const ip = bytesToIp(addr) ?? "?";
  return { id, address: joinHostPort(ip, port), meta, cacheUrl: decodeMeta(meta), state: STATES[state] ?? "dead" };
}

export const peerFromAlive = (a: Alive): SwimPeer => peer(a.Node, a.Addr, a.Port, a.Meta, 0);
export const peerFromPushState = (s: PushNodeState): SwimPeer => peer(s.Name, s.Addr, s.Port, s.Meta, s.State);
export const peerFromNode = (n: NodeState): SwimPeer => peer(n.name, n.addr, n.port, n.meta, n.state);
