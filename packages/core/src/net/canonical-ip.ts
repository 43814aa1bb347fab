import { isIPv4, isIPv6 } from "node:net";

const MAPPED_DOTTED = "::ffff:";

/**
 * An IP address in one spelling, so that addresses compare as strings: IPv4 dotted quads as they are; IPv6
 * compressed and lower case (RFC 5952, as `new URL()` writes it), without brackets or a zone (`%eth0`); an
 * IPv4-mapped IPv6 address (`::ffff:10.0.0.7`, how a dual-stack socket reports an IPv4 peer) as its IPv4
 * address. Undefined for anything that is not an IP address (a host name).
 */
export function canonicalIp(text: string): string | undefined {
  if (isIPv4(text)) return text;
  // Fast path for what dual-stack sockets report.
  if (text.startsWith(MAPPED_DOTTED) && isIPv4(text.slice(MAPPED_DOTTED.length))) return text.slice(MAPPED_DOTTED.length);
  let host = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = host.indexOf("%");
  if (zone >= 0) host = host.slice(0, zone);
  if (!isIPv6(host)) return undefined;
  const canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped === null) return canonical;
  const hi = parseInt(mapped[1] as string, 16);
  const lo = parseInt(mapped[2] as string, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
