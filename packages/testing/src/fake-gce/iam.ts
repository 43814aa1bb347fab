/**
 * A small model of IAM for the fake GCE: which permissions a service account holds in the project, from
 * predefined roles granted to it. Only what the fake's APIs check is modelled.
 */

/** Permissions of the predefined roles the fake knows (a subset of each real role: what the fake's routes check). */
export const PREDEFINED_ROLES: Readonly<Record<string, readonly string[]>> = {
  "roles/compute.viewer": [
    "compute.instances.list",
    "compute.instances.get",
    "compute.zones.list",
    "compute.regions.get",
    "compute.regions.list",
    "compute.projects.get",
  ],
  "roles/compute.instanceAdmin.v1": ["compute.instances.list", "compute.instances.get", "compute.instances.delete", "compute.instances.create"],
  "roles/logging.logWriter": ["logging.logEntries.create"],
  "roles/monitoring.metricWriter": ["monitoring.timeSeries.create"],
  "roles/secretmanager.secretAccessor": ["secretmanager.versions.access"],
  "roles/editor": ["compute.instances.list", "compute.instances.get", "compute.regions.get", "secretmanager.versions.access", "logging.logEntries.create"],
};

export class FakeIam {
  readonly #grants = new Map<string, Set<string>>();

  /** Grants `role` on the project to `member` (`serviceAccount:EMAIL`, or a bare email). */
  grant(member: string, role: string): void {
    if (PREDEFINED_ROLES[role] === undefined) {
      throw new Error(`fake IAM: unknown role ${role} (known: ${Object.keys(PREDEFINED_ROLES).join(", ")})`);
    }
    const email = member.replace(/^serviceAccount:/, "");
    let roles = this.#grants.get(email);
    if (roles === undefined) this.#grants.set(email, (roles = new Set()));
    roles.add(role);
  }

  revoke(member: string, role: string): void {
    this.#grants.get(member.replace(/^serviceAccount:/, ""))?.delete(role);
  }

  roles(email: string): readonly string[] {
    return [...(this.#grants.get(email) ?? [])];
  }

  allows(email: string, permission: string): boolean {
    for (const role of this.#grants.get(email) ?? []) if (PREDEFINED_ROLES[role]?.includes(permission) === true) return true;
    return false;
  }
}
