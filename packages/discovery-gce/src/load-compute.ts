import type { InstancesClient } from "@google-cloud/compute/build/src/v1/instances_client.js";
import type { RegionsClient } from "@google-cloud/compute/build/src/v1/regions_client.js";

/** The two client classes discovery uses. */
export interface ComputeClients {
  readonly InstancesClient: typeof InstancesClient;
  readonly RegionsClient: typeof RegionsClient;
}

/**
 * Imports the instances and regions clients of `@google-cloud/compute` on their own: the package's index loads all
 * of its ~250 clients (v1, v1beta, v1small), which takes ~1.2 s of the ~1.5 s cold import. The files are the
 * generated layout of google-cloud-node packages (the package has no `exports` map); should a release move them,
 * the index is imported instead.
 */
export async function loadComputeClients(): Promise<ComputeClients> {
  try {
    const [instances, regions] = await Promise.all([
      import("@google-cloud/compute/build/src/v1/instances_client.js"),
      import("@google-cloud/compute/build/src/v1/regions_client.js"),
    ]);
    return { InstancesClient: instances.InstancesClient, RegionsClient: regions.RegionsClient };
  } catch {
    const compute = await import("@google-cloud/compute");
    return { InstancesClient: compute.InstancesClient, RegionsClient: compute.RegionsClient };
  }
}
