import type { DatagramNetwork } from "@cachecluster/core";

export type { NetworkHandlers, NetworkSocket, StreamConnection, StreamHandlers } from "@cachecluster/core";

/**
 * The network SWIM runs on (core's `DatagramNetwork`): `udpTcpNetwork()` is the real one (node:dgram +
 * node:net); `@cachecluster/testing/memory-network` implements the same interface in memory with a virtual clock.
 */
export type SwimNetwork = DatagramNetwork;

/** Timers and time; `systemClock` is the real one, the memory network provides a virtual one. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Split `host:port` / `[v6]:port`. Returns undefined when malformed. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  let host: string;
  let portText: string;
  if (address.startsWith("[")) {
    const end = address.indexOf("]:");
    if (end === -1) return undefined;
    host = address.slice(1, end);
    portText = address.slice(end + 2);
  } else {
    const colon = address.lastIndexOf(":");
    if (colon === -1) return undefined;
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || host === "") return undefined;
  return { host, port };
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
