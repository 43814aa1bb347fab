import { retransmitLimit } from "./timing.js";

interface Item {
  name: string;
  msg: Uint8Array;
  transmits: number;
  id: number;
  onFinished: (() => void) | undefined;
}

/**
 * memberlist's TransmitLimitedQueue for named broadcasts: a newer message about a node replaces the
 * queued one; each message is handed out `RetransmitMult * ceil(log10(N + 1))` times, least-sent first,
 * then largest that fits, then newest.
 */
export class BroadcastQueue {
  readonly #retransmitMult: number;
  readonly #numNodes: () => number;
  readonly #byName = new Map<string, Item>();
  /** tiers[t]: items sent t times, ordered by (length desc, id desc). */
  readonly #tiers: Item[][] = [];
  #idGen = 0;

  constructor(retransmitMult: number, numNodes: () => number) {
    this.#retransmitMult = retransmitMult;
    this.#numNodes = numNodes;
  }

  get size(): number {
    return this.#byName.size;
  }

  /** Queue `msg` about node `name`, replacing (and finishing) an older one about the same node. */
  queue(name: string, msg: Uint8Array, onFinished?: () => void): void {
    const old = this.#byName.get(name);
    if (old !== undefined) {
      this.#remove(old);
      old.onFinished?.();
    }
    const item: Item = { name, msg, transmits: 0, id: ++this.#idGen, onFinished };
    this.#insert(item);
  }

  /** Messages to piggyback: each costs `overhead + length` bytes, at most `limit` bytes in all. */
  get(overhead: number, limit: number): Uint8Array[] {
    if (this.#byName.size === 0) return [];
    const transmitLimit = retransmitLimit(this.#retransmitMult, this.#numNodes());
    const out: Uint8Array[] = [];
    const reinsert: Item[] = [];
    let used = 0;
    let transmits = this.#minTier();
    const maxTier = this.#tiers.length - 1;
    while (transmits <= maxTier) {
      const free = limit - used - overhead;
      if (free <= 0) break;
      const tier = this.#tiers[transmits];
      const index = tier === undefined ? -1 : firstFitting(tier, free);
      if (index === -1 || tier === undefined) {
        transmits++;
        continue;
      }
      const item = tier[index]!;
      tier.splice(index, 1);
      this.#byName.delete(item.name);
      used += overhead + item.msg.byteLength;
      out.push(item.msg);
      if (item.transmits + 1 >= transmitLimit) {
        item.onFinished?.();
      } else {
        item.transmits++;
        reinsert.push(item);
      }
    }
    for (const item of reinsert) this.#insert(item);
    if (this.#byName.size === 0) this.#idGen = 0;
    return out;
  }

  /** Keep the `maxRetain` newest messages and drop the others (memberlist's Prune); returns how many were dropped. */
  prune(maxRetain: number): number {
    const excess = this.#byName.size - maxRetain;
    if (excess <= 0) return 0;
    const oldest = [...this.#byName.values()].sort((a, b) => a.id - b.id).slice(0, excess);
    for (const item of oldest) {
      this.#remove(item);
      item.onFinished?.();
    }
    return excess;
  }

  /** Drop everything (shutdown). */
  clear(): void {
    this.#byName.clear();
    this.#tiers.length = 0;
  }

  #minTier(): number {
    for (let t = 0; t < this.#tiers.length; t++) if ((this.#tiers[t]?.length ?? 0) > 0) return t;
    return this.#tiers.length;
  }

  #insert(item: Item): void {
    this.#byName.set(item.name, item);
    while (this.#tiers.length <= item.transmits) this.#tiers.push([]);
    const tier = this.#tiers[item.transmits]!;
    let lo = 0;
    let hi = tier.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (less(tier[mid]!, item)) lo = mid + 1;
      else hi = mid;
    }
    tier.splice(lo, 0, item);
  }

  #remove(item: Item): void {
    this.#byName.delete(item.name);
    const tier = this.#tiers[item.transmits];
    if (tier === undefined) return;
    const index = tier.indexOf(item);
    if (index !== -1) tier.splice(index, 1);
  }
}

/** Order within a tier: longer first, then newer first. */
function less(a: Item, b: Item): boolean {
  if (a.msg.byteLength !== b.msg.byteLength) return a.msg.byteLength > b.msg.byteLength;
  return a.id > b.id;
}

/** Index of the first item no longer than `free` (the tier is sorted by length, longest first). */
function firstFitting(tier: readonly Item[], free: number): number {
  let lo = 0;
  let hi = tier.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tier[mid]!.msg.byteLength > free) lo = mid + 1;
    else hi = mid;
  }
  return lo < tier.length ? lo : -1;
}
