import { discoveryCompliance } from "@cachecluster/testing/compliance/discovery";
import { DnsDiscovery } from "../src/index.js";
import { FakeDnsServer } from "./dns-server.js";

const fast = { refreshMs: 100, minRefreshMs: 100, jitter: 0, backoffBaseMs: 20, backoffCapMs: 100, timeoutMs: 1_000 };

// A records of a headless-service-like name, against a fresh local DNS server per test.
discoveryCompliance({
  name: "DnsDiscovery, A records",
  quietMs: 400,
  async create() {
    const dns = await FakeDnsServer.start("cluster.test");
    dns.set("peers.cluster.test", { A: [{ address: "10.0.0.1" }, { address: "10.0.0.2" }, { address: "10.0.0.3" }] });
    return {
      discovery: new DnsDiscovery({ name: "peers.cluster.test", servers: [dns.address], ...fast }),
      expected: [{ host: "10.0.0.1" }, { host: "10.0.0.2" }, { host: "10.0.0.3" }],
      async change() {
        dns.set("peers.cluster.test", { A: [{ address: "10.0.0.1" }, { address: "10.0.0.3" }, { address: "10.0.0.4" }] });
        return [{ host: "10.0.0.1" }, { host: "10.0.0.3" }, { host: "10.0.0.4" }];
      },
      cleanup: () => dns.close(),
    };
  },
});

// SRV records (Consul style: one target per node, each with its own gossip port).
discoveryCompliance({
  name: "DnsDiscovery, SRV records",
  quietMs: 400,
  async create() {
    const dns = await FakeDnsServer.start("cluster.test");
    dns.set("_gossip._udp.cache.cluster.test", {
      SRV: [
        { target: "node-a.cluster.test", port: 7946 },
        { target: "node-b.cluster.test", port: 7947 },
      ],
    });
    dns.set("node-a.cluster.test", { A: [{ address: "10.0.0.1" }] });
    dns.set("node-b.cluster.test", { A: [{ address: "10.0.0.2" }] });
    dns.set("node-c.cluster.test", { AAAA: [{ address: "fd00::3" }] });
    return {
      discovery: new DnsDiscovery({ name: "_gossip._udp.cache.cluster.test", type: "SRV", servers: [dns.address], ...fast }),
      expected: [
        { host: "10.0.0.1", clusterPort: 7946, name: "node-a.cluster.test" },
        { host: "10.0.0.2", clusterPort: 7947, name: "node-b.cluster.test" },
      ],
      async change() {
        dns.set("_gossip._udp.cache.cluster.test", {
          SRV: [
            { target: "node-a.cluster.test", port: 7946 },
            { target: "node-c.cluster.test", port: 7948 },
          ],
        });
        return [
          { host: "10.0.0.1", clusterPort: 7946, name: "node-a.cluster.test" },
          { host: "fd00::3", clusterPort: 7948, name: "node-c.cluster.test" },
        ];
      },
      cleanup: () => dns.close(),
    };
  },
});
