export { storeCompliance } from "./compliance/store.js";
