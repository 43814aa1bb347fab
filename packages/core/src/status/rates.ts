import type { GroupStats } from "../engine/stats.js";

/** Counters per second over the latest window, by group. */
export type GroupRates = { readonly [K in keyof GroupStats]: number };

interface Sample {
  readonly at: number;
  readonly groups: ReadonlyMap<string, GroupStats>;
}

const MIN_WINDOW_MS = 1_000;
const MAX_WINDOW_MS = 60_000;

/**
 * Rates per second of the groups' counters, from samples taken when the status is read (no timer): each read
 * compares the counters now with the oldest sample of the last minute that is at least a second old. The first
 * read has no rates yet; the status page, which polls every 2 s, has them from its second read on.
 */
export class RateTracker {
  #samples: Sample[] = [];

  /** Rates by group name and the window they cover, or undefined before there is a window. */
  read(
    now: number,
    groups: readonly { readonly name: string; readonly stats: GroupStats }[],
  ): { windowMs: number; byGroup: Map<string, GroupRates> } | undefined {
    const current = new Map(groups.map((g) => [g.name, { ...g.stats }]));
    this.#samples = this.#samples.filter((s) => now - s.at <= MAX_WINDOW_MS);
    const base = this.#samples.find((s) => now - s.at >= MIN_WINDOW_MS);
    const last = this.#samples.at(-1);
    if (last === undefined || now - last.at >= MIN_WINDOW_MS) this.#samples.push({ at: now, groups: current });
    if (base === undefined) return undefined;
    const windowMs = now - base.at;
    const byGroup = new Map<string, GroupRates>();
    for (const [name, stats] of current) {
      const before = base.groups.get(name);
      const rates = {} as Record<keyof GroupStats, number>;
      for (const key of Object.keys(stats) as (keyof GroupStats)[]) rates[key] = Math.max(0, stats[key] - (before?.[key] ?? 0)) / (windowMs / 1000);
      byGroup.set(name, rates);
    }
    return { windowMs, byGroup };
  }
}
