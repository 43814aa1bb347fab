import { ContainerModule } from "inversify";
import { InvalidArgumentError } from "../errors.js";
import type { DiscoveredPeer, Discovery } from "../interfaces/discovery.js";
import type { Unsubscribe } from "../interfaces/startable.js";
import { parseHostAndPort } from "../net/host-port.js";
import { DiscoveryToken } from "../tokens.js";

/**
 * Parses one static peer: `http://host:port` (a cache base URL), `host:port` (a gossip address),
 * `[v6]:port`, or a bare `host`.
 */
export function parsePeer(entry: string): DiscoveredPeer {
  const text = entry.trim();
  if (text.length === 0) throw new InvalidArgumentError("expected a peer such as 127.0.0.1:9999 or http://127.0.0.1:9080, got an empty string");
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch (cause) {
      throw new InvalidArgumentError(`expected a peer URL such as http://127.0.0.1:9080, got ${JSON.stringify(entry)} (${String(cause)})`);
    }
    const base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
    return { host: url.hostname.replace(/^\[|\]$/g, ""), cacheUrl: base };
  }
  const parsed = parseHostAndPort(text);
  const host = parsed?.host;
  const port = parsed?.port;
  if (host === undefined || port === 0) {
    throw new InvalidArgumentError(`expected a peer such as 127.0.0.1:9999, [::1]:9999 or http://127.0.0.1:9080, got ${JSON.stringify(entry)}`);
  }
  return port === undefined ? { host } : { host, clusterPort: port };
}

/** Discovery from a fixed list, for local development and tests. `CACHECLUSTER_PEERS` (comma-separated) when no list is given. */
export class StaticDiscovery implements Discovery {
  readonly #peers: readonly DiscoveredPeer[];
  readonly #listeners = new Set<(peers: readonly DiscoveredPeer[]) => void>();
  #started = false;

  constructor(peers: readonly (string | DiscoveredPeer)[]) {
    this.#peers = peers.map((p) => (typeof p === "string" ? parsePeer(p) : p));
  }

  static fromEnv(env: Readonly<Record<string, string | undefined>> = process.env): StaticDiscovery {
    const list = (env.CACHECLUSTER_PEERS ?? "").split(",").filter((s) => s.trim().length > 0);
    return new StaticDiscovery(list);
  }

  peers(): readonly DiscoveredPeer[] {
    return this.#started ? this.#peers : [];
  }

  onPeers(listener: (peers: readonly DiscoveredPeer[]) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const listener of this.#listeners) listener(this.#peers);
  }

  async stop(): Promise<void> {
    this.#started = false;
  }
}

/** Binds a StaticDiscovery; with no list, reads `CACHECLUSTER_PEERS`. */
export function staticDiscovery(peers?: readonly (string | DiscoveredPeer)[]): ContainerModule {
  const discovery = peers === undefined ? StaticDiscovery.fromEnv() : new StaticDiscovery(peers);
  return new ContainerModule(({ bind }) => {
    bind(DiscoveryToken).toConstantValue(discovery);
  });
}
