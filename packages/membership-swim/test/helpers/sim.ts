import { MemoryNetwork, type MemoryHost, type MemoryNetworkOptions } from "@cachecluster/testing/memory-network";
import { SwimMembership, type SwimOptionsInput } from "../../src/index.js";
import { settleMembers } from "../../src/swim-membership.js";

export interface SimMember {
  readonly name: string;
  readonly host: MemoryHost;
  readonly membership: SwimMembership;
}

/** A simulated cluster on the in-memory network: members with virtual clocks and seeded PRNGs. */
export class Sim {
  readonly net: MemoryNetwork;
  readonly members: SimMember[] = [];
  readonly #options: SwimOptionsInput;

  constructor(options: MemoryNetworkOptions & { swim?: SwimOptionsInput } = {}) {
    this.net = new MemoryNetwork(options);
    this.#options = options.swim ?? {};
  }

  get scheduler() {
    return this.net.scheduler;
  }

  create(name: string, cacheUrl = `http://${name}.test:9080`, options: SwimOptionsInput = {}): SimMember {
    const host = this.net.host();
    const membership = new SwimMembership(
      { name, port: 7946, advertise: host.ip, ...this.#options, ...options },
      { local: { name, host: host.ip, cacheUrl }, network: host.network, clock: host.clock, random: host.random },
    );
    const member = { name, host, membership };
    this.members.push(member);
    return member;
  }

  seed(member: SimMember | SwimMembership) {
    const m = member instanceof SwimMembership ? member : member.membership;
    const [host, port] = m.address.split(":");
    return { host: host!, clusterPort: Number(port) };
  }

  /** Start `n` members; each joins through the first (and is started in virtual time, a few ms apart). */
  async grow(n: number, prefix = "m"): Promise<SimMember[]> {
    const created: SimMember[] = [];
    for (let i = 0; i < n; i++) created.push(this.create(`${prefix}${this.members.length}`));
    for (const m of created) await m.membership.start();
    const seed = this.members[0]!;
    for (const m of created) {
      if (m === seed) continue;
      void m.membership.join([this.seed(seed)]);
      await this.scheduler.runFor(5);
    }
    return created;
  }

  /** Start `n` members that already know each other (a cluster that converged long ago). */
  async settled(n: number, prefix = "m"): Promise<SimMember[]> {
    const created: SimMember[] = [];
    for (let i = 0; i < n; i++) created.push(this.create(`${prefix}${this.members.length}`));
    for (const m of created) await m.membership.start();
    settleMembers(created.map((m) => m.membership));
    return created;
  }

  /** Run until every running member listed sees exactly `expected` live members. */
  converged(members: readonly SimMember[], expected: number): boolean {
    return members.every((m) => m.membership.members().length === expected);
  }

  async stopAll(): Promise<void> {
    for (const m of this.members) await m.membership.stop();
  }
}
