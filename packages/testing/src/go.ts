/// <reference types="node" preserve="true" />
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** This package's root (`dist/src/go.js` → `../..`): it ships the Go sources in `go/`. */
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Where built binaries are kept: `CACHECLUSTER_GO_CACHE`; in the monorepo its `.cache/`; once installed from npm,
 * `$XDG_CACHE_HOME/cachecluster` (default `~/.cache/cachecluster`), since the package's own folder may be read-only.
 */
function cacheRoot(): string {
  const fromEnv = process.env.CACHECLUSTER_GO_CACHE;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const monorepo = resolve(packageRoot, "../..");
  if (existsSync(join(monorepo, "pnpm-workspace.yaml")) && existsSync(join(monorepo, "packages", "testing"))) return join(monorepo, ".cache");
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cachecluster");
}

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
 * Builds `packages/testing/go/<name>` (GOPATH mode, offline, from Debian's packages) and returns the binary's path.
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
  const dir = join(packageRoot, "go", name);
  if (!existsSync(dir)) throw new Error(`no Go program ${JSON.stringify(name)} in ${join(packageRoot, "go")}`);
  const hash = createHash("sha256");
  for (const file of readdirSync(dir).sort()) {
    if (file.endsWith(".go")) hash.update(file).update(readFileSync(join(dir, file)));
  }
  const outDir = join(cacheRoot(), "go-bin");
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${name}-${hash.digest("hex").slice(0, 12)}`);
  if (existsSync(out)) return out;
  const cache = join(cacheRoot(), "go-build");
  mkdirSync(cache, { recursive: true });
  await run(go, ["build", "-o", out, "."], {
    cwd: dir,
    env: { ...process.env, GO111MODULE: "off", GOPATH, GOCACHE: cache, CGO_ENABLED: "0" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return out;
}
