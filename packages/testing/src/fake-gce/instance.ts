import { createHash } from "node:crypto";

/** Instance lifecycle states of the Compute API. */
export type FakeInstanceStatus = "PROVISIONING" | "STAGING" | "RUNNING" | "STOPPING" | "STOPPED" | "SUSPENDING" | "SUSPENDED" | "REPAIRING" | "TERMINATED";

export interface FakeNetworkInterface {
  /** `nic0`, `nic1`, ... (default: by position). */
  readonly name?: string;
  readonly networkIP: string;
  /** Network name (default `default`). */
  readonly network?: string;
}

/** What a test says about an instance; everything else gets realistic defaults. */
export interface FakeInstanceSpec {
  readonly name: string;
  /** Default: the fake's own zone. */
  readonly zone?: string;
  /** Primary IP (nic0); ignored when `networkInterfaces` is given. Default: the next free 10.128.x.y. */
  readonly ip?: string;
  readonly networkInterfaces?: readonly FakeNetworkInterface[];
  readonly status?: FakeInstanceStatus;
  readonly tags?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  /** Instance metadata items (key → value). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly machineType?: string;
  /** The service account the instance runs as; default the project's default compute account; null: none. */
  readonly serviceAccount?: FakeServiceAccount | null;
  /** `SPOT` instances can be preempted (default `STANDARD`). */
  readonly provisioningModel?: "STANDARD" | "SPOT";
}

export interface FakeServiceAccount {
  readonly email: string;
  /** OAuth scopes (default cloud-platform). */
  readonly scopes?: readonly string[];
}

/** An instance held by the fake. Mutable so tests can change it in place (then the next list shows it). */
export interface FakeInstance {
  readonly id: string;
  name: string;
  zone: string;
  status: FakeInstanceStatus;
  networkInterfaces: FakeNetworkInterface[];
  tags: string[];
  labels: Record<string, string>;
  metadata: Record<string, string>;
  machineType: string;
  readonly creationTimestamp: string;
  serviceAccount: FakeServiceAccount | null;
  provisioningModel: "STANDARD" | "SPOT";
  /** The metadata server's `instance/preempted` (set when a Spot VM gets its preemption notice). */
  preempted: boolean;
}

export const COMPUTE_BASE = "https://www.googleapis.com/compute/v1";

export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, "");
}

function fingerprint(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("base64").slice(0, 12);
}

/** The instance as the Compute API v1 returns it (`compute#instance`). */
export function instanceJson(project: string, instance: FakeInstance): Record<string, unknown> {
  const zoneUrl = `${COMPUTE_BASE}/projects/${project}/zones/${instance.zone}`;
  const region = regionOf(instance.zone);
  const json: Record<string, unknown> = {
    kind: "compute#instance",
    id: instance.id,
    creationTimestamp: instance.creationTimestamp,
    name: instance.name,
    tags: { ...(instance.tags.length > 0 ? { items: [...instance.tags] } : {}), fingerprint: fingerprint(instance.tags) },
    machineType: `${zoneUrl}/machineTypes/${instance.machineType}`,
    status: instance.status,
    zone: zoneUrl,
    canIpForward: false,
    networkInterfaces: instance.networkInterfaces.map((nic, index) => ({
      kind: "compute#networkInterface",
      network: `${COMPUTE_BASE}/projects/${project}/global/networks/${nic.network ?? "default"}`,
      subnetwork: `${COMPUTE_BASE}/projects/${project}/regions/${region}/subnetworks/${nic.network ?? "default"}`,
      networkIP: nic.networkIP,
      name: nic.name ?? `nic${index}`,
      fingerprint: fingerprint(nic),
      stackType: "IPV4_ONLY",
    })),
    disks: [
      {
        kind: "compute#attachedDisk",
        type: "PERSISTENT",
        mode: "READ_WRITE",
        source: `${zoneUrl}/disks/${instance.name}`,
        deviceName: "persistent-disk-0",
        index: 0,
        boot: true,
        autoDelete: true,
        interface: "SCSI",
        diskSizeGb: "10",
      },
    ],
    metadata: {
      kind: "compute#metadata",
      fingerprint: fingerprint(instance.metadata),
      ...(Object.keys(instance.metadata).length > 0 ? { items: Object.entries(instance.metadata).map(([key, value]) => ({ key, value })) } : {}),
    },
    serviceAccounts:
      instance.serviceAccount === null
        ? []
        : [{ email: instance.serviceAccount.email, scopes: [...(instance.serviceAccount.scopes ?? ["https://www.googleapis.com/auth/cloud-platform"])] }],
    selfLink: `${zoneUrl}/instances/${instance.name}`,
    scheduling:
      instance.provisioningModel === "SPOT"
        ? { onHostMaintenance: "TERMINATE", automaticRestart: false, preemptible: true, provisioningModel: "SPOT", instanceTerminationAction: "DELETE" }
        : { onHostMaintenance: "MIGRATE", automaticRestart: true, preemptible: false, provisioningModel: "STANDARD" },
    cpuPlatform: "Intel Broadwell",
    labelFingerprint: fingerprint(instance.labels),
    startRestricted: false,
    deletionProtection: false,
    fingerprint: fingerprint(instance),
    lastStartTimestamp: instance.creationTimestamp,
  };
  if (Object.keys(instance.labels).length > 0) json.labels = { ...instance.labels };
  return json;
}
