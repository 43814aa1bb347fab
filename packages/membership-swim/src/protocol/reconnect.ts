import { joinHostPort } from "@cachecluster/core";
import { NodeStateType } from "../wire/index.js";
import type { SwimNodeConfig } from "./config.js";
import type { NodeTable } from "./node-table.js";
import { isDeadOrLeft, type NodeEvent } from "./node-state.js";
import type { ProtocolStats } from "./stats.js";

export interface ReconnectDeps {
  readonly config: Pick<SwimNodeConfig, "name" | "clock" | "random" | "logger" | "reconnectTimeoutMs">;
  readonly stats: ProtocolStats;
  readonly table: NodeTable;
  /** Our own `host:port`, never re-dialled. */
  readonly self: () => string;
  readonly pushPull: (address: string) => Promise<void>;
}

/**
 * Partition healing, as serf does it on top of memberlist: the seeds we joined through and the members
 * that failed (for up to reconnectTimeout) are remembered, and every reconnect interval one of them that
 * is not a live member is re-dialled with a push/pull, so two halves of a healed partition merge again.
 */
export class Reconnector {
  readonly #deps: ReconnectDeps;
  readonly #seeds = new Set<string>();
  /** Failed members by name: their address and when they failed. */
  readonly #failed = new Map<string, { address: string; since: number }>();

  constructor(deps: ReconnectDeps) {
    this.#deps = deps;
  }

  addSeeds(addresses: readonly string[]): void {
    for (const address of addresses) this.#seeds.add(address);
  }

  /** Follow the member table's events: a failed member is remembered, a member back is forgotten. */
  onNodeEvent(event: NodeEvent): void {
    const node = event.node;
    if (event.type === "join") this.#failed.delete(node.name);
    else if (event.type === "leave" && node.state === NodeStateType.Dead && node.name !== this.#deps.config.name) {
      this.#failed.set(node.name, { address: joinHostPort(node.ip, node.port), since: node.stateChange });
    }
  }

  /** Re-dial one seed that is not a live member, or one failed member. */
  tick(): void {
    const { config: c, table } = this.#deps;
    if (this.#seeds.size === 0 && this.#failed.size === 0) return;
    const now = c.clock.now();
    const live = new Set<string>();
    for (const node of table.all()) if (!isDeadOrLeft(node)) live.add(joinHostPort(node.ip, node.port));
    for (const [name, failed] of this.#failed) {
      const node = table.get(name);
      if (now - failed.since > c.reconnectTimeoutMs || (node !== undefined && !isDeadOrLeft(node)) || node?.state === NodeStateType.Left) {
        this.#failed.delete(name);
      }
    }
    const self = this.#deps.self();
    const candidates = [...[...this.#seeds].filter((a) => !live.has(a) && a !== self), ...[...this.#failed.values()].map((f) => f.address)];
    if (candidates.length === 0) return;
    const address = candidates[Math.floor(c.random() * candidates.length)]!;
    this.#deps.stats.reconnects++;
    this.#deps.pushPull(address).catch((error: unknown) => {
      c.logger.debug({ err: error, address }, "swim: reconnect failed");
    });
  }
}
