import type { Startable, Unsubscribe } from "./startable.js";

/**
 * A peer found by discovery: a host (IP address or name) and, where the discovery source knows them,
 * its gossip port and cache URL. Missing ports come from the local config (`[cluster] port`, `[cache] port`):
 * a fleet runs one config.
 */
export interface DiscoveredPeer {
  /** IP address or host name, e.g. `10.128.0.7` or `127.0.0.1`. */
  readonly host: string;
  /** Membership (SWIM) port; default: `[cluster] port` of the local config. */
  readonly clusterPort?: number;
  /** Base URL of the peer's cache HTTP server, e.g. `http://10.128.0.7:9080`; default: `http://{host}:{[cache] port}`. */
  readonly cacheUrl?: string;
  /** A stable name where the source has one (GCE instance name). */
  readonly name?: string;
}

/**
 * Finds the other nodes of the cluster (GCE API, a static list, ...). Discovery never blocks start-up:
 * `start()` resolves at once and results arrive through `onPeers`. A failed refresh keeps the last good list.
 */
export interface Discovery extends Startable {
  /** The last good result; empty until the first one. */
  peers(): readonly DiscoveredPeer[];
  /** Called with every new result (also when it did not change: consumers dedupe). */
  onPeers(listener: (peers: readonly DiscoveredPeer[]) => void): Unsubscribe;
}
