import { InvalidArgumentError } from "../../src/errors.js";
import type { LocalNode } from "../../src/interfaces/local-node.js";
import type { Member, Membership, MembershipBroadcast, MembershipEvent } from "../../src/interfaces/membership.js";
import type { Unsubscribe } from "../../src/interfaces/startable.js";

/**
 * An in-memory gossip channel for MembershipBroadcast fakes: `broadcast` queues (a same-key broadcast replaces the
 * queued one, as memberlist's named broadcasts do) and `deliver()` hands every queued payload to every other member.
 */
export class FakeGossip {
  readonly members: FakeBroadcastMembership[] = [];

  member(name: string, maxBroadcastBytes = 512): FakeBroadcastMembership {
    const m = new FakeBroadcastMembership(this, name, maxBroadcastBytes);
    this.members.push(m);
    return m;
  }

  /**
   * Deliver every queued payload to the members `reach` picks (default: every member but its sender); returns how
   * many payloads were delivered.
   */
  deliver(reach: (sender: number) => readonly number[] = (sender) => this.members.map((_, i) => i).filter((i) => i !== sender)): number {
    let n = 0;
    for (const [i, sender] of this.members.entries()) {
      for (const { payload } of sender.queue.splice(0)) {
        n++;
        for (const j of reach(i)) this.members[j]!.receive(payload, sender.name);
      }
    }
    return n;
  }
}

export class FakeBroadcastMembership implements Membership, MembershipBroadcast {
  /** Every broadcast call, in order. */
  readonly sent: { payload: Uint8Array; key: string | undefined }[] = [];
  /** Queued, not yet delivered. */
  readonly queue: { payload: Uint8Array; key: string | undefined }[] = [];
  readonly #listeners = new Set<(payload: Uint8Array, from: string | undefined) => void>();
  #local: LocalNode | undefined;

  constructor(
    readonly gossip: FakeGossip,
    readonly name: string,
    readonly maxBroadcastBytes: number,
  ) {}

  broadcast(payload: Uint8Array, key?: string): void {
    if (payload.length > this.maxBroadcastBytes) throw new InvalidArgumentError(`payload of ${payload.length} bytes over ${this.maxBroadcastBytes}`);
    this.sent.push({ payload, key });
    if (key !== undefined) {
      const queued = this.queue.findIndex((q) => q.key === key);
      if (queued >= 0) this.queue.splice(queued, 1);
    }
    this.queue.push({ payload, key });
  }

  onMessage(listener: (payload: Uint8Array, from: string | undefined) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hand `payload` to the listeners, as the membership does for a received user message. */
  receive(payload: Uint8Array, from: string | undefined): void {
    for (const listener of this.#listeners) listener(payload, from);
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  async start(local: LocalNode): Promise<void> {
    this.#local = local;
  }
  async stop(): Promise<void> {}
  self(): Member {
    const local = this.#local!;
    return { id: local.name, address: local.host, cacheUrl: local.cacheUrl, state: "alive", incarnation: 0 };
  }
  members(): readonly Member[] {
    return this.#local === undefined ? [] : [this.self()];
  }
  async join(): Promise<number> {
    return 0;
  }
  async leave(): Promise<void> {}
  onEvent(_listener: (event: MembershipEvent) => void): Unsubscribe {
    return () => {};
  }
}
