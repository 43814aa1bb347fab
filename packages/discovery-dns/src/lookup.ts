import type { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { type DiscoveredPeer, formatHost } from "@cachecluster/core";
import { DnsDiscoveryError, classifyDnsError } from "./errors.js";
import type { PortKind, RecordType } from "./dns-names.js";
import { type SrvAnswer, orderSrvRecords } from "./srv-records.js";

/** What one lookup found. */
export interface LookupResult {
  /** Sorted, without duplicates. */
  readonly peers: readonly DiscoveredPeer[];
  /** The shortest TTL (seconds) of the address records used; undefined when none was seen (IP literal SRV targets). */
  readonly ttl: number | undefined;
  /** Records that made no peer, each with the reason (logged once each by the discovery). */
  readonly skipped: readonly string[];
}

export interface LookupTarget {
  readonly name: string;
  readonly type: RecordType;
  readonly port: number | undefined;
  readonly portKind: PortKind;
}

/** Context for error messages: the servers asked and the deadline. */
export interface LookupContext {
  readonly servers: string;
  readonly timeoutMs: number;
  /** Called for every DNS question asked. */
  readonly onQuery?: () => void;
}

/** SRV targets resolved at once; a large answer's targets are looked up in waves of this many. */
const TARGET_CONCURRENCY = 16;

const byAddress = new Intl.Collator("en", { numeric: true }).compare;

/** Addresses no peer can have: unspecified, IPv4 broadcast, multicast. */
function unusable(address: string): string | undefined {
  if (address === "0.0.0.0" || address === "::") return "the unspecified address";
  if (address === "255.255.255.255") return "the broadcast address";
  if (isIP(address) === 4 && Number(address.split(".")[0]) >= 224 && Number(address.split(".")[0]) <= 239) return "a multicast address";
  if (isIP(address) === 6 && /^ff/i.test(address)) return "a multicast address";
  return undefined;
}

function peer(host: string, port: number | undefined, kind: PortKind, name?: string): DiscoveredPeer {
  const named = name === undefined ? {} : { name };
  if (port === undefined) return { host, ...named };
  return kind === "cluster" ? { host, clusterPort: port, ...named } : { host, cacheUrl: `http://${formatHost(host)}:${port}`, ...named };
}

/** Looks the peers up: A or AAAA records of the name, or its SRV records and their targets' addresses. */
export async function lookupPeers(resolver: Resolver, target: LookupTarget, context: LookupContext): Promise<LookupResult> {
  const fail = (query: string, error: unknown): DnsDiscoveryError => classifyDnsError(query, error, context.servers, context.timeoutMs);
  const addresses = async (type: "A" | "AAAA", name: string): Promise<{ address: string; ttl: number }[]> => {
    context.onQuery?.();
    try {
      return type === "A" ? await resolver.resolve4(name, { ttl: true }) : await resolver.resolve6(name, { ttl: true });
    } catch (error) {
      throw fail(`${type} ${name}`, error);
    }
  };
  const skipped: string[] = [];
  const found: { host: string; port: number | undefined; name?: string }[] = [];
  let ttl: number | undefined;
  const seeTtl = (t: number): void => {
    ttl = ttl === undefined ? t : Math.min(ttl, t);
  };
  const add = (record: string, address: string, port: number | undefined, name?: string): void => {
    const problem = unusable(address);
    if (problem !== undefined) skipped.push(`${record}: ${address} is ${problem}`);
    else found.push({ host: address, port, ...(name === undefined ? {} : { name }) });
  };

  if (target.type === "A" || target.type === "AAAA") {
    for (const record of await addresses(target.type, target.name)) {
      seeTtl(record.ttl);
      add(`${target.type} ${target.name}`, record.address, target.port);
    }
  } else {
    context.onQuery?.();
    let raw: SrvAnswer[];
    try {
      raw = await resolver.resolveSrv(target.name);
    } catch (error) {
      throw fail(`SRV ${target.name}`, error);
    }
    const { records, problems, unavailable } = orderSrvRecords(raw, target.name);
    skipped.push(...problems);
    if (unavailable) {
      throw new DnsDiscoveryError(
        "no-records",
        `DNS lookup SRV ${target.name}: the service is decidedly not available (a single SRV record with target ".", RFC 2782)`,
      );
    }
    const targets = [...new Set(records.map((r) => r.name))];
    const resolved = new Map<string, { address: string; ttl: number | undefined }[]>();
    for (let i = 0; i < targets.length; i += TARGET_CONCURRENCY) {
      await Promise.all(
        targets.slice(i, i + TARGET_CONCURRENCY).map(async (name) => {
          if (isIP(name) !== 0) {
            resolved.set(name, [{ address: name, ttl: undefined }]);
            return;
          }
          // A first; AAAA when the target has no A record.
          for (const type of ["A", "AAAA"] as const) {
            try {
              const list = await addresses(type, name);
              if (list.length > 0) {
                resolved.set(
                  name,
                  [...list].sort((a, b) => byAddress(a.address, b.address)),
                );
                return;
              }
            } catch (error) {
              // Only a missing name or record type moves on; a failing server fails the lookup (the last good list stays).
              if (!(error instanceof DnsDiscoveryError && (error.kind === "not-found" || error.kind === "no-records"))) throw error;
            }
          }
          skipped.push(`SRV ${target.name}: target ${name} has no A or AAAA record`);
        }),
      );
    }
    for (const record of records) {
      for (const { address, ttl: t } of resolved.get(record.name) ?? []) {
        if (t !== undefined) seeTtl(t);
        add(`SRV ${target.name} target ${record.name}`, address, record.port, record.name);
      }
    }
  }

  const seen = new Set<string>();
  const unique = found.filter((f) => {
    const key = `${f.host}|${f.port ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (target.type !== "SRV") unique.sort((a, b) => byAddress(a.host, b.host));
  if (unique.length === 0) {
    const why = skipped.length > 0 ? `: ${skipped.slice(0, 3).join("; ")}${skipped.length > 3 ? `; and ${skipped.length - 3} more` : ""}` : "";
    throw new DnsDiscoveryError("no-records", `DNS lookup ${target.type} ${target.name} gave no usable peer${why}`);
  }
  return { peers: unique.map((f) => peer(f.host, f.port, target.portKind, f.name)), ttl, skipped };
}
