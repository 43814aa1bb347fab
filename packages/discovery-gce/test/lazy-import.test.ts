import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
const entry = fileURLToPath(new URL("../src/index.js", import.meta.url));

// In a fresh process: import the package, list the CommonJS modules loaded, then import the Compute client
// and list them again (the second list proves the probe sees them when they are loaded).
const probe = `
const { createRequire } = await import("node:module");
const loaded = () => Object.keys(createRequire(process.cwd() + "/").cache);
const heavy = (list) => list.filter((p) => /google-gax|@google-cloud\\+compute|gcp-metadata|google-auth-library|gaxios/.test(p)).length;
const m = await import(${JSON.stringify(entry)});
const d = new m.GceDiscovery({ options: { project: "p-12345", zones: ["us-central1-a"] } });
const before = heavy(loaded());
await import(createRequire(${JSON.stringify(entry)}).resolve("@google-cloud/compute"));
console.log(JSON.stringify({ before, after: heavy(loaded()), settings: d.settings.refreshMs }));
`;

describe("@cachecluster/discovery-gce loads the Google clients lazily", () => {
  it("importing the package and constructing a GceDiscovery loads neither @google-cloud/compute nor gcp-metadata", async () => {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe], { timeout: 60_000 });
    const result = JSON.parse(stdout) as { before: number; after: number };
    assert.equal(result.before, 0, "Google client modules loaded at import time");
    assert.ok(result.after > 10, `the probe saw only ${result.after} Google modules after importing the client`);
  });
});
