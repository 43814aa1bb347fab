import { lookup as dnsLookup } from "node:dns/promises";
import type { Logger } from "../interfaces/logger.js";
import type { Member } from "../interfaces/membership.js";
import { canonicalIp } from "../net/canonical-ip.js";
import { parseHostAndPort } from "../net/host-port.js";

/** Resolves a host name to its addresses (`dns.lookup` with `all`). */
export type HostLookup = (host: string) => Promise<readonly string[]>;

const systemLookup: HostLookup = async (host) => (await dnsLookup(host, { all: true })).map((a) => a.address);

/**
 * The IP addresses of the current members, for the transport's "is this request from a member" checks: each
 * member's cache URL host and gossip address host. IP literals count at once; host names are resolved in the
 * background (until then, and if that fails, they match nothing). Addresses compare in `canonicalIp` form, so
 * `::ffff:10.0.0.7` from a dual-stack socket matches the member `10.0.0.7`.
 */
export class MemberAddresses {
  readonly #lookup: HostLookup;
  readonly #logger: Logger;
  #addresses = new Set<string>();
  /** Host names of current members → their addresses once resolved. */
  #resolved = new Map<string, readonly string[]>();
  #hosts: readonly string[] = [];

  constructor(logger: Logger, lookup: HostLookup = systemLookup) {
    this.#logger = logger;
    this.#lookup = lookup;
  }

  /** True when `address` (a socket's remote address) is an address of a current member. */
  has(address: string): boolean {
    if (this.#addresses.has(address)) return true;
    const canonical = canonicalIp(address);
    return canonical !== undefined && canonical !== address && this.#addresses.has(canonical);
  }

  /** The addresses now (canonical form), sorted. */
  list(): string[] {
    return [...this.#addresses].sort();
  }

  /** Takes the hosts of these members (alive and suspect: those on the ring). */
  update(members: readonly Pick<Member, "cacheUrl" | "address">[]): void {
    const hosts = new Set<string>();
    for (const member of members) {
      const cacheHost = hostOfUrl(member.cacheUrl);
      if (cacheHost !== undefined) hosts.add(cacheHost);
      const gossipHost = parseHostAndPort(member.address)?.host;
      if (gossipHost !== undefined) hosts.add(gossipHost);
    }
    this.#hosts = [...hosts];
    const names = new Set(this.#hosts.filter((h) => canonicalIp(h) === undefined).map((h) => h.toLowerCase()));
    for (const name of this.#resolved.keys()) if (!names.has(name)) this.#resolved.delete(name);
    for (const name of names) this.#resolve(name);
    this.#rebuild();
  }

  #rebuild(): void {
    const next = new Set<string>();
    for (const host of this.#hosts) {
      const ip = canonicalIp(host);
      if (ip !== undefined) next.add(ip);
      else for (const address of this.#resolved.get(host.toLowerCase()) ?? []) next.add(address);
    }
    this.#addresses = next;
  }

  #resolve(name: string): void {
    this.#lookup(name).then(
      (found) => {
        if (!this.#hosts.some((h) => h.toLowerCase() === name)) return;
        const addresses = found.map(canonicalIp).filter((a): a is string => a !== undefined);
        this.#resolved.set(name, addresses);
        this.#rebuild();
      },
      (error: unknown) =>
        this.#logger.warn({ err: error, host: name }, `cachecluster: cannot resolve the member host ${name}; requests from it are not known as a member's`),
    );
  }
}

function hostOfUrl(url: string): string | undefined {
  try {
    const hostname = new URL(url).hostname;
    return hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  } catch {
    return undefined;
  }
}
