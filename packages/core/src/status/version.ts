import { readFileSync } from "node:fs";

/** `@cachecluster/core`'s version, from its package.json (`dist/src/status/` → the package root). */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
    return pkg.name === "@cachecluster/core" && typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
})();
