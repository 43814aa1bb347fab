import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Fleet, GCE_ADDRESS, type Vm } from "@cachecluster/testing/fleet";
import { skipFleet } from "./helpers/scenario-test.js";

const PROBE = `#!/bin/bash
md() { curl -s -H 'Metadata-Flavor: Google' "http://$GCE_METADATA_HOST/computeMetadata/v1/$1"; }
echo "seen name=$(md instance/name) zone=$(md instance/zone) ip=$(md instance/network-interfaces/0/ip) tags=$(md instance/tags) role=$(md instance/attributes/role) sa=$(md instance/service-accounts/default/email) host=$GCE_METADATA_HOST"
token=$(md instance/service-accounts/default/token)
echo "token \${token:0:40}"
`;

describe("fleet isolation: VMs see only the fleet's network and their own metadata", { skip: skipFleet }, () => {
  let fleet: Fleet;
  let vms: Vm[] = [];

  before(async () => {
    fleet = await Fleet.create({ opt: {}, timings: { shutdownWindowMs: 1000, preemptionWindowMs: 1000 } });
    vms = await Promise.all(
      [
        ["vm-a", "us-central1-a", "alpha"],
        ["vm-b", "us-central1-b", "beta"],
      ].map(([name, zone, role]) =>
        fleet.createVm({
          name: name!,
          zone: zone!,
          machineType: "e2-small",
          vcpus: 2,
          tags: [`tag-${role}`],
          labels: {},
          metadata: { "startup-script": PROBE, role: role! },
          serviceAccount: { email: `${role}@fleet-project.iam.gserviceaccount.com` },
          provisioningModel: "STANDARD",
        }),
      ),
    );
    await Promise.all(vms.map((vm) => vm.startupDone));
  });

  after(async () => {
    await fleet.destroy();
  });

  it("no namespace of the fleet has a default route or any route beyond its subnet", async () => {
    const routes = await fleet.network.routes();
    assert.equal(routes.length, 5, "vpc, gce, lb and the two VMs");
    for (const r of routes) {
      assert.equal(r.hasDefault, false, `${r.ns} has a default route`);
      assert.match(r.outside, /Network is unreachable/, `${r.ns} can route to 8.8.8.8: ${r.outside}`);
      for (const route of r.routes) assert.match(route, /^10\.128\.0\.0\/20 dev eth0 /, `${r.ns} has the route ${route}`);
      assert.equal(r.routes.length, r.ns.endsWith("-vpc") ? 0 : 1, `${r.ns}: ${r.routes.join("; ")}`);
    }
  });

  it("the metadata server answers each VM, by its source address, with that VM's name, zone, address, tags, attributes and service account", () => {
    for (const [vm, role] of [
      [vms[0]!, "alpha"],
      [vms[1]!, "beta"],
    ] as const) {
      const seen = vm.journal.find((e) => e.line.includes("seen name="))?.line ?? "(no line)";
      assert.match(
        seen,
        new RegExp(
          `name=${vm.name} zone=projects/\\d+/zones/${vm.zone} ip=${vm.ip.replace(/\./g, "\\.")} tags=\\["tag-${role}"\\] role=${role} sa=${role}@fleet-project`,
        ),
      );
      assert.match(seen, new RegExp(`host=${GCE_ADDRESS.replace(/\./g, "\\.")}$`), "GCE_METADATA_HOST is the fake's bridge address");
      assert.match(vm.journal.find((e) => e.line.includes("token "))?.line ?? "", /"access_token":"ya29\.fake-/);
    }
  });

  it("the metadata server refuses a caller that is no instance", async () => {
    const out = await fleet.network.exec(fleet.network.nsOf("lb"), "curl", [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-H",
      "Metadata-Flavor: Google",
      `http://${GCE_ADDRESS}/computeMetadata/v1/instance/name`,
    ]);
    assert.equal(out, "403");
  });
});
