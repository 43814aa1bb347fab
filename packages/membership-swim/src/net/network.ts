/**
 * The network SWIM runs on: datagrams (UDP) for probes and gossip, byte streams (TCP) for push/pull and
 * fallback pings. `udpTcpNetwork()` is the real one (node:dgram + node:net); `@cachecluster/testing/memory-network`
 * implements the same shape in memory with a virtual clock.
 *
 * Addresses are `host:port` strings (`[v6]:port` for IPv6 hosts).
 */
export interface SwimNetwork {
  /** Bind a datagram socket and a stream listener on the same `host:port` (port 0: any free port). */
  bind(host: string, port: number, handlers: NetworkHandlers): Promise<NetworkSocket>;
}

export interface NetworkHandlers {
  /** One datagram arrived from `from` (`host:port`). Must not throw. */
  packet(data: Uint8Array, from: string): void;
  /** A peer opened a stream connection to us. */
  stream(conn: StreamConnection): void;
}

export interface NetworkSocket {
  /** The bound host and port (the real port when 0 was asked for). */
  readonly host: string;
  readonly port: number;
  /** Send one datagram; fire and forget (errors are swallowed: UDP is lossy anyway). */
  sendPacket(to: string, data: Uint8Array): void;
  /** Open a stream connection; rejects on refusal or after `timeoutMs`. */
  dial(to: string, timeoutMs: number): Promise<StreamConnection>;
  /** Close the datagram socket, the listener and every open connection. Safe to call twice. */
  close(): Promise<void>;
}

export interface StreamHandlers {
  data(chunk: Uint8Array): void;
  /** The peer closed the connection or it failed; called once, no data after. */
  end(error?: Error): void;
}

export interface StreamConnection {
  /** Remote `host:port`. */
  readonly remote: string;
  /** Bytes received before `setHandlers` are buffered and delivered when it is called. */
  setHandlers(handlers: StreamHandlers): void;
  write(data: Uint8Array): void;
  close(): void;
}

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
