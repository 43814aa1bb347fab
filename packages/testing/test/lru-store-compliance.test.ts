import { LruStore } from "@cachecluster/core";
import { storeCompliance } from "../src/compliance/store.js";

storeCompliance("LruStore", () => new LruStore(), { lru: true });
storeCompliance("LruStore without per-entry overhead", () => new LruStore({ entryOverhead: 0 }), { lru: true });
storeCompliance("LruStore with every entry in a buffer of its own", () => new LruStore({ slabValueLimit: 0 }), { lru: true });
