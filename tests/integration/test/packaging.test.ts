// The packages as npm users get them: each is packed with `pnpm pack`, the tarballs are installed into a fresh
// app outside the monorepo, the README's snippet is type-checked there with TypeScript 6 and 7 (--strict, library
// checks on: what a new project does by default), and run as two processes that form a cluster (GCE discovery
// against the fake GCE, SWIM, HTTP transport).
//
// Installs are cached: the app's node_modules live in .cache/packaging/<hash of the third-party dependencies>/, filled
// by `npm install` (npm cache in .cache/npm) when that set changes; on later runs the fresh tarballs are unpacked
// over the cached @cachecluster/* folders, which is what npm does with a tarball whose dependencies are installed.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { FakeGce } from "@cachecluster/testing/fake-gce";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const PACKAGES = ["core", "transport-http", "membership-swim", "discovery-gce", "discovery-dns", "testing"];
const TYPESCRIPT = { typescript6: "npm:typescript@~6.0.3", typescript7: "npm:typescript@^7.0.2" };

interface Result {
  code: number | null;
  output: string;
}

function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function must(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<string> {
  const r = await run(command, args, options);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} (in ${options.cwd}) exited with ${r.code}:\n${r.output}`);
  return r.output;
}

/** The README's "Use it" snippet. */
async function readmeSnippet(): Promise<string> {
  const readme = await readFile(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Use it"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined || !code.includes("createCacheCluster")) throw new Error("the README has no ts snippet under ## Use it");
  return code;
}

describe("the packages installed from their tarballs outside the monorepo", { timeout: 300_000 }, () => {
  let work: string;
  let app: string;
  /** Why the tests cannot run here (no cached install and no registry), or undefined. */
  let cannot: string | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "cc-packaging-"));
    const tarballs = join(work, "tarballs");
    await Promise.all(PACKAGES.map((p) => must("pnpm", ["pack", "--pack-destination", tarballs], { cwd: join(repoRoot, "packages", p) })));
    const files = await readdir(tarballs);
    const packed = await Promise.all(
      PACKAGES.map(async (p) => {
        const file = files.find((f) => f.startsWith(`cachecluster-${p}-`) && f.endsWith(".tgz"));
        assert.ok(file !== undefined, `pnpm pack made no tarball for ${p}: ${files.join(", ")}`);
        const manifest = JSON.parse(await must("tar", ["-xzOf", join(tarballs, file), "package/package.json"], { cwd: work })) as {
          dependencies?: Record<string, string>;
        };
        return { name: `@cachecluster/${p}`, folder: p, tarball: join(tarballs, file), dependencies: manifest.dependencies ?? {} };
      }),
    );
    const thirdParty = Object.fromEntries(
      packed
        .flatMap((p) => Object.entries(p.dependencies))
        .filter(([name]) => !name.startsWith("@cachecluster/"))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    const key = createHash("sha256")
      .update(JSON.stringify({ thirdParty, TYPESCRIPT, node: process.versions.node.split(".")[0] }))
      .digest("hex")
      .slice(0, 16);
    const installs = join(repoRoot, ".cache", "packaging");
    const installed = join(installs, key);
    const modules = join(installed, "node_modules");
    app = join(work, "app");
    await mkdir(app);
    await writeFile(join(app, "package.json"), JSON.stringify({ name: "cachecluster-packaging-app", private: true, type: "module" }));
    if (!existsSync(join(installed, "installed"))) {
      const ping = await run("npm", ["ping", "--fetch-retries=0", "--fetch-timeout=5000"], { cwd: work, timeoutMs: 15_000 });
      if (ping.code !== 0) {
        cannot = `no cached install in .cache/packaging and the npm registry does not answer (run the tests once with network): ${ping.output.trim().split("\n").at(-1) ?? ""}`;
        return;
      }
      await rm(installs, { recursive: true, force: true });
      await mkdir(installed, { recursive: true });
      const manifest = {
        name: "cachecluster-packaging-app",
        private: true,
        type: "module",
        dependencies: { ...Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`])), ...TYPESCRIPT },
        overrides: { "@cachecluster/core": "$@cachecluster/core" },
      };
      await writeFile(join(installed, "package.json"), JSON.stringify(manifest, null, 2));
      await must("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--cache", join(repoRoot, ".cache", "npm")], {
        cwd: installed,
        timeoutMs: 240_000,
      });
      await writeFile(join(installed, "installed"), new Date().toISOString());
    } else {
      for (const p of packed) {
        const dir = join(modules, "@cachecluster", p.folder);
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
        await must("tar", ["-xzf", p.tarball, "-C", dir, "--strip-components=1"], { cwd: work });
      }
    }
    await symlink(modules, join(app, "node_modules"), "dir");
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("ship their license, repository, sources for the source maps, and the test kit's Go programs", async (t) => {
    if (cannot !== undefined) return t.skip(cannot);
    for (const p of PACKAGES) {
      const dir = join(app, "node_modules", "@cachecluster", p);
      const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { license: string; repository?: { url?: string } };
      assert.equal(manifest.license, "Apache-2.0");
      assert.match(await readFile(join(dir, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);
      assert.ok(manifest.repository?.url, `${p} has a repository`);
      const map = JSON.parse(await readFile(join(dir, "dist", "src", "index.js.map"), "utf8")) as { sources: string[] };
      for (const source of map.sources) assert.ok(existsSync(join(dir, "dist", "src", source)), `${p}: the source map's ${source} ships`);
    }
    assert.ok(existsSync(join(app, "node_modules", "@cachecluster", "testing", "go", "url-escape", "main.go")));
  });

  it("the README's snippet type-checks with TypeScript 6 and 7 under --strict, library declarations checked", async (t) => {
    if (cannot !== undefined) return t.skip(cannot);
    await writeFile(join(app, "app.ts"), `declare function render(key: string, signal: AbortSignal): Promise<Uint8Array>;\n${await readmeSnippet()}`);
    const tsconfig = { compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true }, files: ["app.ts"] };
    await writeFile(join(app, "tsconfig.json"), JSON.stringify(tsconfig));
    const [ts6, ts7] = await Promise.all(
      ["typescript6", "typescript7"].map((ts) =>
        run(process.execPath, [join(app, "node_modules", ts, "bin", "tsc"), "-p", "tsconfig.json"], { cwd: app, timeoutMs: 240_000 }),
      ),
    );
    assert.equal(ts6!.output.trim(), "", `TypeScript 6 (exit ${ts6!.code}):\n${ts6!.output}`);
    assert.equal(ts6!.code, 0);
    assert.equal(ts7!.output.trim(), "", `TypeScript 7 (exit ${ts7!.code}):\n${ts7!.output}`);
    assert.equal(ts7!.code, 0);
  });

  it("the README's snippet runs as two processes that form a cluster", async (t) => {
    if (cannot !== undefined) return t.skip(cannot);
    // The snippet as it is, with the fake GCE's address for gceDiscovery() and a report of what the node saw.
    const snippet = (await readmeSnippet()).replace("gceDiscovery()", 'gceDiscovery(JSON.parse(process.env.PACKAGING_GCE_OPTIONS ?? "{}"))');
    assert.ok(snippet.includes("PACKAGING_GCE_OPTIONS"));
    const program = `let loads = 0;
async function render(key: string, _signal: AbortSignal): Promise<Uint8Array> {
  loads++;
  return new TextEncoder().encode(\`\${key} rendered by \${process.env.CACHECLUSTER_CLUSTER_NAME ?? "?"}\`);
}
${snippet}
void png;
const deadline = Date.now() + 30_000;
while (cluster.ring.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
const value = new TextDecoder().decode(await thumbs.get("dog.png"));
console.log(JSON.stringify({ report: true, ring: cluster.ring.peers, owner: cluster.ring.get("dog.png"), value, loads }));
`;
    await writeFile(join(app, "run.ts"), program);
    const tsconfig = {
      compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", outDir: "out", skipLibCheck: true },
      files: ["run.ts"],
    };
    await writeFile(join(app, "tsconfig.run.json"), JSON.stringify(tsconfig));
    await must(process.execPath, [join(app, "node_modules", "typescript7", "bin", "tsc"), "-p", "tsconfig.run.json"], { cwd: app });

    const fake = await FakeGce.start({ project: "packaging-project", zones: ["us-central1-a"] });
    const ips = ["127.0.0.31", "127.0.0.32"];
    for (const [i, ip] of ips.entries()) fake.addInstance({ name: `pkg-${i}`, ip, zone: "us-central1-a", tags: ["pkgtest"] });
    const children: ChildProcess[] = [];
    try {
      const reports = await Promise.all(
        ips.map(
          (ip, i) =>
            new Promise<{ ring: string[]; owner: string; value: string; loads: number; output: string }>((resolve, reject) => {
              const child = spawn(process.execPath, [join(app, "out", "run.js")], {
                cwd: app,
                stdio: ["ignore", "pipe", "pipe"],
                env: {
                  PATH: process.env.PATH ?? "",
                  HOME: process.env.HOME ?? "",
                  ...fake.env(),
                  PACKAGING_GCE_OPTIONS: JSON.stringify({ apiEndpoint: "127.0.0.1", port: fake.port, protocol: "http" }),
                  CACHECLUSTER_LOG_LEVEL: "warn",
                  CACHECLUSTER_CACHE_HOST: ip,
                  CACHECLUSTER_CACHE_PORT: "29181",
                  CACHECLUSTER_ADMIN_HOST: ip,
                  CACHECLUSTER_CLUSTER_HOST: ip,
                  CACHECLUSTER_CLUSTER_ADVERTISE: ip,
                  CACHECLUSTER_CLUSTER_PORT: "29947",
                  CACHECLUSTER_CLUSTER_NAME: `pkg-${i}`,
                  CACHECLUSTER_CLUSTER_HEARTBEAT: "200",
                  CACHECLUSTER_MATCH_PROJECT: "packaging-project",
                  CACHECLUSTER_MATCH_ZONE: "us-central1-a",
                  CACHECLUSTER_MATCH_TAGS: "pkgtest",
                  CACHECLUSTER_MATCH_REFRESH: "1000",
                },
              });
              children.push(child);
              let output = "";
              const timer = setTimeout(() => reject(new Error(`pkg-${i} reported nothing within 60 s:\n${output}`)), 60_000);
              const take = (c: Buffer): void => {
                output += c.toString();
                const line = output.split("\n").find((l) => l.startsWith('{"report":true'));
                if (line !== undefined) {
                  clearTimeout(timer);
                  resolve({ ...(JSON.parse(line) as { ring: string[]; owner: string; value: string; loads: number }), output });
                }
              };
              child.stdout.on("data", take);
              child.stderr.on("data", (c: Buffer) => (output += c.toString()));
              child.on("exit", (code) => reject(new Error(`pkg-${i} exited with ${code}:\n${output}`)));
            }),
        ),
      );
      const urls = ips.map((ip) => `http://${ip}:29181`);
      for (const r of reports) assert.deepEqual(r.ring, urls, r.output);
      const owner = urls.indexOf(reports[0]!.owner);
      assert.equal(reports[1]!.owner, reports[0]!.owner);
      for (const r of reports) assert.equal(r.value, `dog.png rendered by pkg-${owner}`, r.output);
      // Each loaded cat.png, a.png and b.png (the snippet's getMany) itself before it had peers; dog.png was loaded
      // once, by its owner.
      assert.equal(reports[owner]!.loads, 4);
      assert.equal(reports[1 - owner]!.loads, 3);
      const exits = children.map((c) => new Promise<number | null>((resolve) => c.once("exit", resolve)));
      for (const c of children) c.kill("SIGTERM");
      assert.deepEqual(await Promise.all(exits), [0, 0], "closeOnSignals() exits 0 on SIGTERM");
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
      await fake.close();
    }
  });
});
