import { joinHostPort } from "@cachecluster/core";
import type { SwimNodeConfig } from "./config.js";
import { callDelegate } from "./delegate.js";
import type { NodeTable } from "./node-table.js";
import type { ProtocolStats } from "./stats.js";

/**
 * Where received user messages go (memberlist's handleUser and readUserMsg, which call the delegate's
 * NotifyMsg), with the member they came from: a datagram's sender is named by its address (for gossip,
 * the member that relayed it); a stream's is not known (its source port is an ephemeral one).
 */
export class UserMessages {
  readonly #config: Pick<SwimNodeConfig, "logger" | "delegate">;
  readonly #stats: ProtocolStats;
  readonly #table: NodeTable;
  #byAddress: { version: number; names: Map<string, string> } | undefined;

  constructor(config: Pick<SwimNodeConfig, "logger" | "delegate">, stats: ProtocolStats, table: NodeTable) {
    this.#config = config;
    this.#stats = stats;
    this.#table = table;
  }

  /** A user message arrived in a datagram from `address` (`host:port`). */
  fromPacket(payload: Uint8Array, address: string): void {
    this.#deliver(payload, this.#config.delegate?.notifyMsg === undefined ? undefined : this.#nameAt(address));
  }

  /** A user message arrived on a stream (memberlist's SendReliable). */
  fromStream(payload: Uint8Array): void {
    this.#deliver(payload, undefined);
  }

  #deliver(payload: Uint8Array, from: string | undefined): void {
    this.#stats.userMessagesReceived++;
    const delegate = this.#config.delegate;
    if (delegate?.notifyMsg !== undefined)
      callDelegate(this.#config, this.#stats, "a user message listener", () => delegate.notifyMsg?.(payload, from), undefined);
  }

  /** The member gossiping from `address`, from an index rebuilt when the member table changed. */
  #nameAt(address: string): string | undefined {
    const version = this.#table.version;
    let index = this.#byAddress;
    if (index === undefined || index.version !== version) {
      const names = new Map<string, string>();
      for (const node of this.#table.all()) names.set(joinHostPort(node.ip, node.port), node.name);
      index = this.#byAddress = { version, names };
    }
    return index.names.get(address);
  }
}
