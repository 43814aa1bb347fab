import type { RingView } from "../interfaces/cache-cluster.js";
import { crc32 } from "node:zlib";
import { InvalidArgumentError } from "../errors.js";

export const DEFAULT_REPLICAS = 50;

const encoder = new TextEncoder();

/** crc32-IEEE of the UTF-8 bytes of `text`, as an unsigned 32-bit integer (Go's `crc32.ChecksumIEEE`). */
export function hashKey(text: string): number {
  return crc32(encoder.encode(text)) >>> 0;
}

/**
 * Consistent-hash ring, owner-for-owner identical to golang/groupcache's `consistenthash.Map` with
 * `crc32.ChecksumIEEE`: each peer gets `replicas` points `crc32("${i}${peer}")`; lookup takes the first
 * point >= crc32(key), wrapping to the first. Peers are added in sorted order (the canonical order every
 * node agrees on), and where two points are equal the peer added last wins, as in Go's map assignment.
 */
export class HashRing implements RingView {
  readonly replicas: number;
  #points = new Uint32Array(0);
  #owners: number[] = [];
  #peers: readonly string[] = [];

  constructor(peers: Iterable<string> = [], replicas = DEFAULT_REPLICAS) {
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new InvalidArgumentError(`expected replicas to be a positive integer, got ${String(replicas)}`);
    }
    this.replicas = replicas;
    this.set(peers);
  }

  /** The peers on the ring, sorted. */
  get peers(): readonly string[] {
    return this.#peers;
  }

  get size(): number {
    return this.#peers.length;
  }

  /** Replace the peer set. Returns false (and keeps the ring) when the set did not change. */
  set(peers: Iterable<string>): boolean {
    const sorted = [...new Set(peers)].sort();
    if (sorted.length === this.#peers.length && sorted.every((p, i) => p === this.#peers[i])) return false;
    // Go: for each peer in order, for each replica, hashMap[hash] = peer (later wins), keys sorted.
    const owner = new Map<number, number>();
    sorted.forEach((peer, index) => {
      for (let i = 0; i < this.replicas; i++) owner.set(hashKey(`${i}${peer}`), index);
    });
    const points = Uint32Array.from(owner.keys()).sort();
    this.#points = points;
    this.#owners = Array.from(points, (p) => owner.get(p) ?? 0);
    this.#peers = sorted;
    return true;
  }

  /** The owner of `key`, or undefined on an empty ring. */
  get(key: string): string | undefined {
    const points = this.#points;
    if (points.length === 0) return undefined;
    const h = hashKey(key);
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((points[mid] ?? 0) < h) lo = mid + 1;
      else hi = mid;
    }
    if (lo === points.length) lo = 0;
    return this.#peers[this.#owners[lo] ?? 0];
  }

  /** Share of the 2^32 hash space each peer owns (sums to 1). */
  shares(): Map<string, number> {
    const out = new Map<string, number>(this.#peers.map((p) => [p, 0]));
    const points = this.#points;
    const n = points.length;
    for (let i = 0; i < n; i++) {
      const prev = i === 0 ? (points[n - 1] ?? 0) - 2 ** 32 : (points[i - 1] ?? 0);
      const peer = this.#peers[this.#owners[i] ?? 0];
      if (peer !== undefined) out.set(peer, (out.get(peer) ?? 0) + ((points[i] ?? 0) - prev) / 2 ** 32);
    }
    return out;
  }
}
