// A process that builds a fleet with one VM (whose startup script leaves a process running), reports what it
// made on stdout as one JSON line, and waits to be signalled: the teardown test sends it SIGINT.
import { Fleet } from "@cachecluster/testing/fleet";

const fleet = await Fleet.create({ opt: {}, timings: { shutdownWindowMs: 1000, preemptionWindowMs: 1000 } });
const vm = await fleet.createVm({
  name: "vm-1",
  zone: "us-central1-a",
  machineType: "e2-small",
  vcpus: 2,
  tags: [],
  labels: {},
  metadata: { "startup-script": "#!/bin/bash\nsetsid sleep 600 </dev/null >/dev/null 2>&1 &\necho started\n" },
  serviceAccount: null,
  provisioningModel: "STANDARD",
});
await vm.startupDone;
process.stdout.write(`${JSON.stringify({ prefix: fleet.network.prefix, dir: fleet.dir, namespaces: fleet.network.namespaces() })}\n`);
setInterval(() => {}, 60_000);
