import { isIP } from "node:net";
import { splitHostPort } from "@cachecluster/core";
import { z } from "zod";

/**
 * A DNS name to query: labels of letters, digits, `-` and `_` (SRV names: `_gossip._udp.peers...`), 1 to 63
 * characters each, at most 253 in all, an optional final dot. Kept as written, without the final dot.
 */
export const dnsName = z
  .string({
    error: (issue) =>
      issue.input === undefined ? "missing: set [dns] name in the config or the name option" : "expected a DNS name such as peers.default.svc.cluster.local",
  })
  .trim()
  .transform((name) => name.replace(/\.$/, ""))
  .refine(
    (name) => name.length > 0 && name.length <= 253 && name.split(".").every((label) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label)),
    {
      error: "expected a DNS name such as peers.default.svc.cluster.local (labels of letters, digits, - and _, at most 63 characters each)",
    },
  );

/** A DNS server for `Resolver.setServers`: `10.0.0.10`, `10.0.0.10:5353`, `fd00::53` or `[fd00::53]:5353`. */
export const dnsServer = z
  .string({ error: "expected a DNS server address such as 10.0.0.10 or 127.0.0.1:8600" })
  .trim()
  .refine((server) => isIP(server) !== 0 || isServerWithPort(server), {
    error: "expected a DNS server IP address, optionally with a port: 10.0.0.10, 127.0.0.1:8600, fd00::53 or [fd00::53]:5353",
  });

/** The record types the discovery queries. */
export const recordType = z
  .string({ error: 'expected "A", "AAAA" or "SRV"' })
  .transform((type) => type.trim().toUpperCase())
  .pipe(z.enum(["A", "AAAA", "SRV"], { error: 'expected "A", "AAAA" or "SRV"' }));

export type RecordType = z.output<typeof recordType>;

/** What the port of an SRV record (or the `port` option) is. */
export const portKind = z
  .string({ error: 'expected "cluster" or "cache"' })
  .transform((kind) => kind.trim().toLowerCase())
  .pipe(z.enum(["cluster", "cache"], { error: 'expected "cluster" or "cache"' }));

export type PortKind = z.output<typeof portKind>;

function isServerWithPort(server: string): boolean {
  const parsed = splitHostPort(server);
  return parsed !== undefined && parsed.port > 0 && isIP(parsed.host) !== 0;
}
