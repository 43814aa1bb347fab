import { LruStore } from "@cachecluster/core";
import { storeCompliance } from "../src/compliance/store.js";

storeCompliance("LruStore", () => new LruStore());
storeCompliance("LruStore without per-entry overhead", () => new LruStore({ entryOverhead: 0 }));
