import { TinyLfuStore } from "@cachecluster/core";
import { storeCompliance } from "../src/compliance/store.js";

storeCompliance("TinyLfuStore", () => new TinyLfuStore());
storeCompliance("TinyLfuStore with a small capacity", () => new TinyLfuStore({ maxBytes: 4096 }));
