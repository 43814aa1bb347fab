/**
 * This node as the others see it. The cluster fills `cacheUrl` once the cache server is bound
 * (port 0 picks a port), before membership starts, so membership can announce it in its metadata.
 */
export interface LocalNode {
  /** Member name, unique in the cluster. */
  name: string;
  /** Address peers reach this node on (IP). */
  host: string;
  /** Base URL of this node's cache server, e.g. `http://10.128.0.7:9080`. */
  cacheUrl: string;
}
