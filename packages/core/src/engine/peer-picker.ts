import { HashRing } from "../ring/hash-ring.js";

/** Names the peer that owns a key, or undefined when this node owns it (or knows no peers). */
export interface PeerPicker {
  pickPeer(key: string): string | undefined;
}

/** A PeerPicker over a HashRing of cache base URLs, with this node's own URL as "self". */
export class RingPeerPicker implements PeerPicker {
  readonly ring: HashRing;
  #self: string;

  constructor(self: string, replicas?: number) {
    this.#self = self;
    this.ring = new HashRing([self], replicas);
  }

  get self(): string {
    return this.#self;
  }

  /** Replace the peer set (self is always included). Returns whether the ring changed. */
  setPeers(urls: Iterable<string>): boolean {
    return this.ring.set([this.#self, ...urls]);
  }

  /** Change the own URL (known only after `listen()` binds a port). */
  setSelf(self: string): void {
    const others = this.ring.peers.filter((p) => p !== this.#self);
    this.#self = self;
    this.ring.set([self, ...others]);
  }

  pickPeer(key: string): string | undefined {
    const owner = this.ring.get(key);
    return owner === undefined || owner === this.#self ? undefined : owner;
  }
}
