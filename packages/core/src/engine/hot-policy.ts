import { InvalidArgumentError } from "../errors.js";

/** Decides whether a value fetched from its owner is also kept in this node's hot cache. */
export type HotPolicy = (key: string, value: Uint8Array) => boolean;

/** golang/groupcache's rule: keep 1 in `n` peer-fetched values (n = 10 by default). */
export function oneIn(n: number, random: () => number = Math.random): HotPolicy {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected oneIn(n) with a positive integer n, got ${String(n)}`);
  return () => Math.floor(random() * n) === 0;
}

export const neverHot: HotPolicy = () => false;
export const alwaysHot: HotPolicy = () => true;
