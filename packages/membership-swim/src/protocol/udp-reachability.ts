import type { SwimIssue } from "./diagnostics.js";
import type { SwimNodeConfig } from "./config.js";
import type { NodeTable } from "./node-table.js";
import { isDeadOrLeft } from "./node-state.js";

/** Probes in a row that reach their member only over TCP before UDP counts as blocked between members. */
export const UDP_UNREACHABLE_AFTER = 3;

/**
 * What the probes say about UDP: memberlist falls back to a TCP ping when a member answers no UDP probe,
 * and a member that answers that one stays alive, so a network that blocks UDP between members (a
 * firewall rule for TCP only) leaves the cluster formed but slower to spread news. This keeps which
 * members were last reached only over TCP, and whether UDP looks blocked altogether (the last
 * UDP_UNREACHABLE_AFTER probes that reached anyone did so only over TCP), and says so once in the log.
 */
export class UdpReachability {
  readonly #config: Pick<SwimNodeConfig, "clock" | "logger" | "bindPort">;
  readonly #table: NodeTable;
  /** Members whose latest successful probe went over TCP only, with when that started. */
  readonly #tcpOnly = new Map<string, number>();
  #tcpOnlyInARow = 0;
  #unreachableSince: number | undefined;

  constructor(config: Pick<SwimNodeConfig, "clock" | "logger" | "bindPort">, table: NodeTable) {
    this.#config = config;
    this.#table = table;
  }

  /** A probe of `name` was acked over UDP (directly or through another member). */
  reachedOverUdp(name: string): void {
    this.#tcpOnly.delete(name);
    this.#tcpOnlyInARow = 0;
    if (this.#unreachableSince === undefined) return;
    this.#unreachableSince = undefined;
    this.#config.logger.info({ node: name }, "swim: UDP between members works again");
  }

  /** A probe of `name` got no UDP ack but the TCP fallback ping reached it. */
  reachedOverTcpOnly(name: string): void {
    const now = this.#config.clock.now();
    const first = !this.#tcpOnly.has(name);
    if (first) this.#tcpOnly.set(name, now);
    this.#tcpOnlyInARow++;
    if (this.#unreachableSince === undefined && this.#tcpOnlyInARow >= UDP_UNREACHABLE_AFTER) {
      this.#unreachableSince = now;
      this.#config.logger.warn({ probes: this.#tcpOnlyInARow }, `swim: ${udpBlockedText(this.#config.bindPort)}`);
    } else if (first && this.#unreachableSince === undefined) {
      this.#config.logger.warn({ node: name }, "swim: reached a member over TCP but not UDP; the network may be misconfigured");
    }
  }

  /** Whether UDP between members looks blocked altogether. */
  get udpUnreachable(): boolean {
    return this.#unreachableSince !== undefined;
  }

  /** Live members whose latest successful probe reached them only over TCP. */
  tcpOnlyMembers(): number {
    let count = 0;
    for (const name of this.#tcpOnly.keys()) {
      const node = this.#table.get(name);
      if (node === undefined || isDeadOrLeft(node)) this.#tcpOnly.delete(name);
      else count++;
    }
    return count;
  }

  issues(): SwimIssue[] {
    if (this.#unreachableSince !== undefined) {
      return [{ code: "swim-udp-unreachable", severity: "warning", message: udpBlockedText(this.#config.bindPort), since: this.#unreachableSince }];
    }
    const count = this.tcpOnlyMembers();
    if (count === 0) return [];
    const since = Math.min(...this.#tcpOnly.values());
    const message = `${count} member(s) answer probes only over TCP (the TCP fallback ping): UDP to them looks blocked; open UDP port ${this.#config.bindPort} between members`;
    return [{ code: "swim-udp-partially-unreachable", severity: "warning", message, since }];
  }
}

function udpBlockedText(port: number): string {
  return (
    `UDP between members looks blocked: the last ${UDP_UNREACHABLE_AFTER} probes reached their member only over TCP. ` +
    `Membership keeps working over TCP (fallback pings, push/pull), but news spreads at the push/pull interval instead of by gossip; open UDP port ${port} between members`
  );
}
