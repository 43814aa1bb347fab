/** A seeded PRNG (mulberry32): same seed, same sequence. Returns floats in [0, 1). */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A new independent generator derived from `random` (for one simulated member). */
export function forkRandom(random: Random): Random {
  return seededRandom(Math.floor(random() * 4294967296));
}
