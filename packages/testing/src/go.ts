import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Root of the monorepo (holds `go/`). */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

const GOPATH = "/usr/share/gocode";

/** Whether Go and the Debian Go sources are installed (scripts/setup.sh installs them). */
export function goAvailable(): boolean {
  return existsSync(join(GOPATH, "src/github.com/golang/groupcache")) && whichGo() !== undefined;
}

function whichGo(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const candidate = join(dir, "go");
    if (dir !== "" && existsSync(candidate)) return candidate;
  }
  for (const candidate of ["/usr/lib/go/bin/go", "/usr/bin/go"]) if (existsSync(candidate)) return candidate;
  return undefined;
}

const building = new Map<string, Promise<string>>();

/**
 * Builds `go/<name>` (GOPATH mode, offline, from Debian's packages) and returns the binary's path.
 * Binaries are cached by a hash of the sources under `.cache/go-bin/`.
 */
export function buildGoProgram(name: string): Promise<string> {
  let pending = building.get(name);
  if (pending === undefined) {
    pending = build(name);
    building.set(name, pending);
  }
  return pending;
}

async function build(name: string): Promise<string> {
  const go = whichGo();
  if (go === undefined) throw new Error("go is not installed: run scripts/setup.sh (Debian package golang-go)");
  const dir = join(repoRoot, "go", name);
  const hash = createHash("sha256");
  for (const file of readdirSync(dir).sort()) {
    if (file.endsWith(".go")) hash.update(file).update(readFileSync(join(dir, file)));
  }
  const outDir = join(repoRoot, ".cache", "go-bin");
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${name}-${hash.digest("hex").slice(0, 12)}`);
  if (existsSync(out)) return out;
  const cache = join(repoRoot, ".cache", "go-build");
  mkdirSync(cache, { recursive: true });
  await run(go, ["build", "-o", out, "."], {
    cwd: dir,
    env: { ...process.env, GO111MODULE: "off", GOPATH, GOCACHE: cache, CGO_ENABLED: "0" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return out;
}
