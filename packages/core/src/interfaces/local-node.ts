/**
 * This node as the other members see it, complete only once its cache server listens (port 0 picks the port):
 * the cluster passes it to `Membership.start()`, which announces `cacheUrl` in the member's metadata.
 */
export interface LocalNode {
  /** Member name, unique in the cluster (`[cluster] name`, default host name + cache port). */
  readonly name: string;
  /** Address peers reach this node on (`[cluster] advertise`, default this machine's first IPv4 address). */
  readonly host: string;
  /** Base URL of this node's cache server, e.g. `http://10.0.0.7:9080`. */
  readonly cacheUrl: string;
}
