import { configSection, configValue } from "@cachecluster/core";
import type { z } from "zod";
import { dnsName, dnsServer, portKind, recordType } from "./dns-names.js";

export const OWNER = "@cachecluster/discovery-dns";

/** `[dns]`: which DNS name lists the peers, and how often to ask. */
export const dnsSection = configSection("dns", OWNER, {
  name: dnsName.optional().describe("DNS name that lists the peers, e.g. `cache.default.svc.cluster.local` or `_gossip._udp.cache.service.consul`."),
  type: recordType.default("A").describe("Record type to query: `A`, `AAAA` or `SRV`."),
  port: configValue
    .integer(1, 65535)
    .optional()
    .describe(
      "Port of every peer found by `A`/`AAAA` (see `port_kind`); default: this node's own `[cluster] port` (or `[cache] port`). SRV records carry theirs.",
    ),
  port_kind: portKind
    .default("cluster")
    .describe("What an SRV record's port (or `port`) is: `cluster`, the peers' membership (SWIM) port, or `cache`, their peer HTTP port."),
  refresh: configValue.milliseconds(100).default(30_000).describe("Longest time between two lookups (ms); shorter when the records' TTL is."),
  min_refresh: configValue
    .milliseconds(100)
    .default(5_000)
    .describe("Shortest time between two lookups (ms), whatever the TTL (Consul answers TTL 0); at most `refresh`."),
  timeout: configValue.milliseconds(10).default(5_000).describe("Deadline of one lookup, all its queries included (ms)."),
  servers: configValue
    .list(dnsServer)
    .default([])
    .describe("DNS servers to ask, `ip` or `ip:port`, comma-separated; default: the system's (`/etc/resolv.conf`)."),
});

export type DnsSectionSettings = z.output<typeof dnsSection.schema>;

declare module "@cachecluster/core" {
  interface CacheClusterConfigInput {
    /** Which DNS name lists the peers (discovery-dns). */
    readonly dns?: z.input<typeof dnsSection.schema>;
  }
}
