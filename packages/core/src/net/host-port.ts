/**
 * Host and port in text, the one definition every package uses: `host:port`, `[v6]:port` for IPv6 hosts,
 * as Go's `net.JoinHostPort` / `net.SplitHostPort` write and read them.
 */

/** `host` as it goes before `:port` or into a URL: IPv6 addresses in brackets. */
export function formatHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** `host:port`, `[v6]:port`. */
export function joinHostPort(host: string, port: number): string {
  return `${formatHost(host)}:${port}`;
}

/** Reads `host:port` or `[v6]:port` (port 0 to 65535); undefined when malformed. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || host === "" || !(port >= 0 && port <= 65535)) return undefined;
  return { host, port };
}

/** Reads `host`, `[v6]`, `host:port` or `[v6]:port`; `port` is undefined when absent. Undefined when malformed. */
export function parseHostAndPort(text: string): { host: string; port: number | undefined } | undefined {
  const split = splitHostPort(text);
  if (split !== undefined) return split;
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+))$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  return host === undefined ? undefined : { host, port: undefined };
}
