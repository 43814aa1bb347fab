import { NodeStateType } from "../wire/index.js";

/** One member as this node knows it (memberlist's nodeState). */
export interface NodeState {
  readonly name: string;
  /** Wire IP (4 or 16 bytes) and its text form. */
  addr: Uint8Array;
  ip: string;
  port: number;
  meta: Uint8Array;
  incarnation: number;
  state: NodeStateType;
  /** Clock time of the last state change. */
  stateChange: number;
  /** pmin, pmax, pcur, dmin, dmax, dcur. */
  vsn: Uint8Array;
}

export function isDeadOrLeft(node: NodeState): boolean {
  return node.state === NodeStateType.Dead || node.state === NodeStateType.Left;
}

export function protocolMax(node: NodeState | undefined): number {
  return node?.vsn[1] ?? 0;
}

export type NodeEventType = "join" | "leave" | "update";

export interface NodeEvent {
  readonly type: NodeEventType;
  readonly node: NodeState;
}
