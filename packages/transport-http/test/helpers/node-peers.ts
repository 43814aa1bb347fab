import { type CacheCluster, type GroupOptions, createCacheCluster, staticDiscovery } from "@cachecluster/core";
import { httpTransport } from "../../src/index.js";
import { reservePort } from "./go-peer.js";

/** `http://host:port` for each host, on a port free a moment ago: the nodes' URLs, known before they start. */
export async function reserveNodeUrls(hosts: readonly string[]): Promise<string[]> {
  const ports = await Promise.all(hosts.map((h) => reservePort(h)));
  return ports.map((port, i) => `http://${hosts[i]}:${port}`);
}

export interface NodePeers {
  readonly clusters: CacheCluster[];
  /** Node URL → the keys its loader ran for, in order. */
  readonly loads: Map<string, string[]>;
}

/**
 * One cachecluster node listening at each of `urls` (from `reserveNodeUrls`), with the HTTP transport and static
 * discovery of `peers`, serving `group`, whose loader makes `value-of:KEY` and records the key.
 */
export async function startNodePeers(
  urls: readonly string[],
  peers: readonly string[],
  group: string,
  groupOptions: Omit<GroupOptions, "load"> = {},
): Promise<NodePeers> {
  const clusters: CacheCluster[] = [];
  const loads = new Map<string, string[]>();
  for (const [i, url] of urls.entries()) {
    const { hostname: host, port } = new URL(url);
    const mine: string[] = [];
    loads.set(url, mine);
    const cluster = await createCacheCluster(
      { cache: { host, port: Number(port), self: url }, admin: { port: 0 }, cluster: { advertise: host, name: `node-${i}` } },
      [httpTransport(), staticDiscovery([...peers])],
    );
    clusters.push(cluster);
    cluster.group(group, {
      ...groupOptions,
      load: (key) => {
        mine.push(key);
        return `value-of:${key}`;
      },
    });
    await cluster.listen();
  }
  return { clusters, loads };
}
