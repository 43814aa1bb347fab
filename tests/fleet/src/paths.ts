import { fileURLToPath } from "node:url";

/** The repository's root (from dist/src/ or dist/test/ of tests/fleet). */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
