// The deployment kit (deploy/gce) replayed in the simulator: its gcloud scripts run for real with a recording
// `gcloud` first on PATH, and the recorded commands become the fleet's IAM grants, firewall rules, instance
// templates (metadata from the kit's files: startup script, shutdown script, systemd unit), health check and
// MIG, or a rolling update. What the recorder answers: a project with nothing in it.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FleetError } from "./errors.js";
import { type FirewallRule, parseFirewallRules } from "./firewall.js";
import type { HealthCheck } from "./health.js";
import type { InstancePorts, InstanceTemplate, UpdatePolicy } from "./mig.js";

export const HOST_SHIMS = fileURLToPath(new URL("../../../fleet-shims/host", import.meta.url));
/** The deployment kit in this repository (from dist/src/fleet/ up to the repository's root). */
export const KIT_DIR = fileURLToPath(new URL("../../../../../deploy/gce", import.meta.url));

export interface GcloudCall {
  readonly args: readonly string[];
  readonly cwd: string;
}

/** Runs a kit script (e.g. `create-fleet.sh`) with the recording gcloud; resolves with the commands it ran. */
export async function replayKit(script: string, env: Readonly<Record<string, string>>, kitDir = KIT_DIR): Promise<GcloudCall[]> {
  const dir = mkdtempSync(join(tmpdir(), "ccfleet-kit-"));
  const log = join(dir, "gcloud.jsonl");
  try {
    await new Promise<void>((done, fail) => {
      execFile(
        "bash",
        [join(kitDir, script)],
        {
          cwd: kitDir,
          env: { ...process.env, ...env, PATH: `${HOST_SHIMS}:${process.env.PATH ?? ""}`, CCFLEET_GCLOUD_LOG: log, CCFLEET_PROJECT: env.PROJECT ?? "" },
          timeout: 60_000,
        },
        (error, _stdout, stderr) =>
          error === null ? done() : fail(new FleetError(`${script} failed: ${stderr.trim() || error.message}`, { phase: "deployment kit" })),
      );
    });
    return readFileSync(log, "utf8")
      .split("\x1e")
      .filter((record) => record !== "")
      .map((record) => {
        const [cwd = "", ...args] = record.split("\x1f").slice(0, -1);
        return { cwd, args };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A gcloud command line: its command words and its `--flag=value` flags (`--flag` alone is `true`). */
export interface GcloudCommand {
  readonly words: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
  readonly cwd: string;
}

export function parseCall(call: GcloudCall): GcloudCommand {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (const arg of call.args) {
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq === -1) flags.set(arg.slice(2), true);
      else flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    } else {
      words.push(arg);
    }
  }
  return { words, flags, cwd: call.cwd };
}

/** gcloud's list/dict syntax: `a=1,b=2`, or `^;^a=1;b=2` to split on another delimiter. */
export function gcloudList(value: string): string[] {
  const custom = /^\^(.+?)\^/.exec(value);
  const delimiter = custom?.[1] ?? ",";
  const body = custom === null ? value : value.slice(custom[0].length);
  return body === "" ? [] : body.split(delimiter);
}

export function gcloudDict(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of gcloudList(value)) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new FleetError(`expected key=value in a gcloud dict, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** A gcloud duration (`5s`, `2m`, `1h`, or a number of seconds) in ms. */
export function gcloudDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  if (m === null) throw new FleetError(`expected a duration such as 5s, got "${value}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"] ?? 1000;
  return Number(m[1]) * unit;
}

/** vCPUs of a machine type: the number at its end (`e2-standard-4`: 4); shared-core e2 types have 2. */
export function machineVcpus(machineType: string): number {
  if (/^e2-(micro|small|medium)$/.test(machineType)) return 2;
  if (/^(f1-micro|g1-small)$/.test(machineType)) return 1;
  const n = Number(/-(\d+)$/.exec(machineType)?.[1] ?? NaN);
  if (!Number.isInteger(n) || n < 1) throw new FleetError(`unknown machine type ${machineType}`);
  return n;
}

const SCOPE_ALIASES: Readonly<Record<string, string>> = {
  "cloud-platform": "https://www.googleapis.com/auth/cloud-platform",
  "compute-ro": "https://www.googleapis.com/auth/compute.readonly",
  "logging-write": "https://www.googleapis.com/auth/logging.write",
};

export interface KitMig {
  readonly name: string;
  readonly region: string;
  readonly zones: readonly string[];
  readonly template: string;
  readonly size: number;
  readonly baseInstanceName: string;
  readonly healthCheck: string | undefined;
  readonly initialDelayMs: number;
}

export interface KitUpdate {
  readonly mig: string;
  readonly template: string;
  readonly policy: UpdatePolicy;
}

/** What the kit's commands create, in a form the simulator applies. */
export interface KitSpec {
  readonly project: string | undefined;
  readonly serviceAccounts: readonly string[];
  readonly bindings: readonly { readonly member: string; readonly role: string }[];
  readonly firewall: readonly FirewallRule[];
  readonly templates: ReadonlyMap<string, InstanceTemplate>;
  readonly healthChecks: ReadonlyMap<string, HealthCheck>;
  readonly migs: readonly KitMig[];
  readonly updates: readonly KitUpdate[];
  /** Commands the simulator has no model for (enabling APIs, named ports, secret bindings), as text. */
  readonly ignored: readonly string[];
}

function flag(command: GcloudCommand, name: string): string | undefined {
  const value = command.flags.get(name);
  return typeof value === "string" ? value : undefined;
}

function required(command: GcloudCommand, name: string): string {
  const value = flag(command, name);
  if (value === undefined) throw new FleetError(`gcloud ${command.words.join(" ")}: --${name}=... is missing`, { phase: "deployment kit" });
  return value;
}

function metadataFromFiles(command: GcloudCommand): Record<string, string> {
  const files = flag(command, "metadata-from-file");
  const out: Record<string, string> = {};
  if (files === undefined) return out;
  for (const [key, path] of Object.entries(gcloudDict(files))) out[key] = readFileSync(resolve(command.cwd, path), "utf8");
  return out;
}

function template(command: GcloudCommand, name: string): InstanceTemplate {
  const sa = flag(command, "service-account");
  const scopes = gcloudList(flag(command, "scopes") ?? "cloud-platform").map((s) => SCOPE_ALIASES[s] ?? s);
  return {
    name,
    machineType: flag(command, "machine-type") ?? "n1-standard-1",
    tags: gcloudList(flag(command, "tags") ?? ""),
    labels: gcloudDict(flag(command, "labels") ?? ""),
    metadata: { ...gcloudDict(flag(command, "metadata") ?? ""), ...metadataFromFiles(command) },
    serviceAccount: command.flags.get("no-service-account") === true ? null : sa === undefined ? null : { email: sa, scopes },
    provisioningModel: flag(command, "provisioning-model") === "SPOT" ? "SPOT" : "STANDARD",
  };
}

/** Turns recorded kit commands into what they would create on GCE. */
export function kitSpec(calls: readonly GcloudCall[]): KitSpec {
  let project: string | undefined;
  const serviceAccounts: string[] = [];
  const bindings: { member: string; role: string }[] = [];
  const firewall: FirewallRule[] = [];
  const templates = new Map<string, InstanceTemplate>();
  const healthChecks = new Map<string, HealthCheck>();
  const migs: KitMig[] = [];
  const updates: KitUpdate[] = [];
  const ignored: string[] = [];
  for (const call of calls) {
    const c = parseCall(call);
    const w = c.words.join(" ");
    project = flag(c, "project") ?? project;
    if (w.startsWith("config get-value") || w.includes(" describe ")) continue;
    if (w.startsWith("iam service-accounts create ")) {
      serviceAccounts.push(`${c.words[3]}@${required(c, "project")}.iam.gserviceaccount.com`);
    } else if (w.startsWith("projects add-iam-policy-binding ")) {
      bindings.push({ member: required(c, "member"), role: required(c, "role") });
    } else if (w.startsWith("compute firewall-rules create ")) {
      const direction = flag(c, "direction") ?? "INGRESS";
      if (direction !== "INGRESS" && direction !== "EGRESS") throw new FleetError(`firewall rule ${c.words[3]}: expected --direction INGRESS or EGRESS`);
      firewall.push({
        name: c.words[3]!,
        direction,
        action: (flag(c, "action") ?? "ALLOW") === "DENY" ? "DENY" : "ALLOW",
        priority: Number(flag(c, "priority") ?? 1000),
        rules: parseFirewallRules(required(c, "rules")),
        sourceRanges: gcloudList(flag(c, "source-ranges") ?? ""),
        sourceTags: gcloudList(flag(c, "source-tags") ?? ""),
        destinationRanges: gcloudList(flag(c, "destination-ranges") ?? ""),
        targetTags: gcloudList(flag(c, "target-tags") ?? ""),
      });
    } else if (w.startsWith("compute instance-templates create ")) {
      templates.set(c.words[3]!, template(c, c.words[3]!));
    } else if (w.startsWith("compute health-checks create http ")) {
      healthChecks.set(c.words[4]!, {
        name: c.words[4]!,
        port: Number(required(c, "port")),
        requestPath: flag(c, "request-path") ?? "/",
        intervalMs: gcloudDuration(flag(c, "check-interval") ?? "5s"),
        timeoutMs: gcloudDuration(flag(c, "timeout") ?? "5s"),
        healthyThreshold: Number(flag(c, "healthy-threshold") ?? 2),
        unhealthyThreshold: Number(flag(c, "unhealthy-threshold") ?? 2),
      });
    } else if (w.startsWith("compute instance-groups managed create ")) {
      const region = required(c, "region");
      migs.push({
        name: c.words[4]!,
        region,
        zones: gcloudList(flag(c, "zones") ?? `${region}-a,${region}-b,${region}-c`),
        template: required(c, "template"),
        size: Number(required(c, "size")),
        baseInstanceName: flag(c, "base-instance-name") ?? c.words[4]!,
        healthCheck: flag(c, "health-check"),
        initialDelayMs: gcloudDuration(flag(c, "initial-delay") ?? "300"),
      });
    } else if (w.startsWith("compute instance-groups managed rolling-action start-update ")) {
      const version = gcloudDict(required(c, "version"));
      if (version.template === undefined) throw new FleetError(`${w}: --version needs template=NAME`);
      updates.push({
        mig: c.words[5]!,
        template: version.template,
        policy: {
          maxSurge: Number(flag(c, "max-surge") ?? 3),
          maxUnavailable: Number(flag(c, "max-unavailable") ?? 3),
          minReadyMs: gcloudDuration(flag(c, "min-ready") ?? "0s"),
        },
      });
    } else {
      ignored.push(`gcloud ${call.args.join(" ")}`);
    }
  }
  return { project, serviceAccounts, bindings, firewall, templates, healthChecks, migs, updates, ignored };
}

/** The ports of an instance made from the kit's template: worker i serves the app and the cache on base + i. */
export function kitPorts(template: InstanceTemplate, vcpus: number): InstancePorts {
  const m = template.metadata;
  const setting = m["cachecluster-workers"] ?? "auto";
  const workers = setting === "auto" ? vcpus : Number(setting);
  const app = Number(m["cachecluster-app-port"] ?? 8080);
  const cache = Number(m["cachecluster-cache-port"] ?? 9080);
  return {
    app: m["cachecluster-app-port"] === "" ? [] : Array.from({ length: workers }, (_, i) => app + i),
    cache: Array.from({ length: workers }, (_, i) => cache + i),
  };
}
