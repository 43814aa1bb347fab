import { StaticDiscovery } from "@cachecluster/core";
import { discoveryCompliance } from "../src/compliance/discovery.js";

// Core's StaticDiscovery passes the suite: this proves the suite itself (a reference implementation passes).
discoveryCompliance({
  name: "StaticDiscovery",
  quietMs: 100,
  async create() {
    const discovery = new StaticDiscovery(["10.0.0.1:9999", "http://10.0.0.2:9080", "[::1]:7946", "node-3"]);
    return {
      discovery,
      expected: [
        { host: "10.0.0.1", clusterPort: 9999 },
        { host: "10.0.0.2", cacheUrl: "http://10.0.0.2:9080" },
        { host: "::1", clusterPort: 7946 },
        { host: "node-3" },
      ],
    };
  },
});
