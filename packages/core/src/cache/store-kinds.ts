import type { StoreFactory } from "../interfaces/store.js";
import { LruStore } from "./lru-store.js";
import { TinyLfuStore } from "./tinylfu-store.js";

/** Core's stores by name, as `[cache] store` and a group's `store` option take them. */
export const STORE_KINDS = ["lru", "tinylfu"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/**
 * The factory of a named store. Under golang/groupcache's rule the hot cache holds at most 1/9 of the budget
 * (it is evicted while larger than main/8), so a W-TinyLFU hot store sizes its segments for that share.
 */
export function storeFactoryOf(kind: StoreKind): StoreFactory {
  if (kind === "lru") return (options) => new LruStore({ maxBytes: options.maxBytes });
  return (options) =>
    new TinyLfuStore({
      maxBytes: options.maxBytes,
      capacity: options.kind === "hot" ? Math.max(1, Math.floor(options.maxBytes / 9)) : Math.max(1, options.maxBytes),
    });
}
