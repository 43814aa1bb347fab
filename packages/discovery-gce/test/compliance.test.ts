import { discoveryCompliance } from "@cachecluster/testing/compliance/discovery";
import { newDiscovery, startFake, warmUp } from "./helpers.js";

await warmUp();

// GceDiscovery, with the real Google clients, against a fresh fake GCE per test.
discoveryCompliance({
  name: "GceDiscovery (real Google clients against the fake GCE)",
  resultTimeoutMs: 30_000,
  quietMs: 400,
  async create() {
    const { gce, close } = await startFake({ self: { name: "node-a", ip: "10.128.0.10", tags: ["cache"] } });
    gce.addInstance({ name: "node-b", ip: "10.128.0.11", tags: ["cache"] });
    gce.addInstance({ name: "node-c", ip: "10.128.0.12", tags: ["cache"] });
    gce.addInstance({ name: "web-1", ip: "10.128.0.20", tags: ["web"] });
    const { discovery } = newDiscovery(gce, { tags: ["cache"] });
    return {
      discovery,
      expected: [
        { host: "10.128.0.10", name: "node-a" },
        { host: "10.128.0.11", name: "node-b" },
        { host: "10.128.0.12", name: "node-c" },
      ],
      async change() {
        gce.removeInstance("node-b");
        gce.addInstance({ name: "node-d", ip: "10.128.0.13", tags: ["cache"] });
        return [
          { host: "10.128.0.10", name: "node-a" },
          { host: "10.128.0.12", name: "node-c" },
          { host: "10.128.0.13", name: "node-d" },
        ];
      },
      cleanup: close,
    };
  },
});
