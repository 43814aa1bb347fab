// Applies what the deployment kit's commands create (a KitSpec) to a simulated fleet.
import { FleetError } from "./errors.js";
import type { Fleet } from "./fleet.js";
import { type KitSpec, kitPorts, machineVcpus } from "./kit.js";
import { type InstanceTemplate, ManagedInstanceGroup } from "./mig.js";

export interface DeployOptions {
  /** Replaces the kit's template before the group is created (a test's variation). */
  readonly template?: (template: InstanceTemplate) => InstanceTemplate;
}

/** IAM grants, firewall rules, then the kit's MIG with its template and health check, started. */
export async function deployKit(fleet: Fleet, spec: KitSpec, options: DeployOptions = {}): Promise<ManagedInstanceGroup> {
  if (spec.project !== undefined && spec.project !== fleet.project) {
    throw new FleetError(`the kit ran for project ${spec.project}, the fleet's is ${fleet.project}`, { phase: "deploy" });
  }
  for (const { member, role } of spec.bindings) fleet.iam.grant(member, role);
  await fleet.setFirewall(spec.firewall);
  const m = spec.migs[0];
  if (m === undefined) throw new FleetError("the kit created no managed instance group", { phase: "deploy" });
  const kitTemplate = spec.templates.get(m.template);
  if (kitTemplate === undefined) throw new FleetError(`the MIG's template ${m.template} was not created`, { phase: "deploy" });
  const healthCheck = m.healthCheck === undefined ? undefined : spec.healthChecks.get(m.healthCheck);
  if (m.healthCheck !== undefined && healthCheck === undefined)
    throw new FleetError(`the MIG's health check ${m.healthCheck} was not created`, { phase: "deploy" });
  const mig = new ManagedInstanceGroup(fleet, {
    name: m.name,
    baseInstanceName: m.baseInstanceName,
    zones: m.zones,
    template: options.template?.(kitTemplate) ?? kitTemplate,
    targetSize: m.size,
    ...(healthCheck === undefined ? {} : { healthCheck }),
    initialDelayMs: m.initialDelayMs,
    vcpus: machineVcpus,
    ports: kitPorts,
  });
  mig.start();
  return mig;
}

/** Starts the rolling update a replay of update-fleet.sh asked for. */
export function startKitUpdate(mig: ManagedInstanceGroup, spec: KitSpec): void {
  const update = spec.updates.find((u) => u.mig === mig.name);
  if (update === undefined) throw new FleetError(`the kit started no update of ${mig.name}`, { phase: "rolling update" });
  const template = spec.templates.get(update.template);
  if (template === undefined) throw new FleetError(`the update's template ${update.template} was not created`, { phase: "rolling update" });
  mig.startUpdate(template, update.policy);
}
