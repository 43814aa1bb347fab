import { storeCompliance } from "../src/compliance/store.js";
import { MapStore } from "./fixtures/map-store.js";

// The smallest contract-keeping store passes: the suite asks nothing a third-party store should not have to do.
storeCompliance("MapStore (test fixture)", () => new MapStore(), { lru: true });
