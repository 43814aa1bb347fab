// What the fault-test harness and its node processes (fault-node.ts) say to each other over IPC.

export type NodeDiscoveryConfig =
  | {
      readonly kind: "gce";
      readonly computePort: number;
      readonly tag: string;
      readonly refreshMs: number;
      readonly backoffMs: number;
      readonly requestTimeoutMs: number;
    }
  | { readonly kind: "static"; readonly seeds: readonly string[] };

export interface NodeConfig {
  readonly name: string;
  /** Address the node binds and advertises (a loopback alias or an address inside a network namespace). */
  readonly ip: string;
  readonly cachePort: number;
  readonly clusterPort: number;
  readonly heartbeatMs: number;
  /** Peer fetch timeout ([cache] timeout). */
  readonly peerTimeoutMs: number;
  /** How long the loader takes (keeps loads and peer fetches in flight). */
  readonly loadDelayMs: number;
  readonly discovery: NodeDiscoveryConfig;
  /** Extra SWIM options (timings). */
  readonly swim?: Readonly<Record<string, number | boolean>>;
}

export type NodeCommand =
  | { readonly id: number; readonly cmd: "snapshot" }
  | { readonly id: number; readonly cmd: "load-start"; readonly keys: number; readonly concurrency: number; readonly prefix: string }
  | { readonly id: number; readonly cmd: "load-stop" }
  | { readonly id: number; readonly cmd: "get"; readonly key: string }
  | { readonly id: number; readonly cmd: "close" };

export type NodeReply =
  { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

export interface LoadReport {
  ok: number;
  failed: number;
  /** Gets that resolved with a value other than the loader's. */
  wrong: number;
  failures: string[];
  maxMs: number;
}

export interface MemberView {
  readonly id: string;
  readonly state: string;
  readonly incarnation: number;
  readonly cacheUrl: string;
}

export interface NodeSnapshot {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Alive and suspect members (the ring's input). */
  readonly members: readonly MemberView[];
  /** Every member known, dead and left included. */
  readonly allMembers: readonly MemberView[];
  readonly ring: readonly string[];
  readonly events: readonly { type: string; id: string; state: string; incarnation: number; at: number }[];
  readonly group: Readonly<Record<string, number>>;
  /** Loader calls on this node. */
  readonly loads: number;
  readonly swim: Readonly<Record<string, number>>;
  readonly transport: Readonly<Record<string, number>>;
  readonly discovery: Readonly<Record<string, number>>;
  readonly discoveredPeers: readonly string[];
  readonly mode: string;
}

/** The value every node's loader returns for `key`: deterministic, so any node can check any answer. */
export function expectedValue(key: string): string {
  return `value-of:${key}:`.padEnd(256, "#");
}
