/**
 * The network gossip membership runs on: datagrams (UDP) for probes and gossip, byte streams (TCP) for
 * push/pull and fallback pings. `@cachecluster/membership-swim` implements it over node:dgram + node:net,
 * `@cachecluster/testing/memory-network` in memory with a virtual clock.
 *
 * Addresses are `host:port` strings (`[v6]:port` for IPv6 hosts).
 */
export interface DatagramNetwork {
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
