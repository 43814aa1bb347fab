export { buildGoProgram, goAvailable, repoRoot, GOPATH } from "./go.js";
