import { forkRandom, seededRandom, type Random } from "./random.js";
import { VirtualScheduler } from "./scheduler.js";
import type { Clock, DatagramNetwork, NetworkHandlers, NetworkSocket, StreamConnection, StreamHandlers } from "@cachecluster/core";

export interface MemoryNetworkOptions {
  /** PRNG seed: the same seed and the same calls give the same run. Default 1. */
  seed?: number;
  /** Scheduler (virtual clock) to use; default a new one. */
  scheduler?: VirtualScheduler;
  /** One-way delay in ms, uniform in [min, max]. Default 0.5..2. */
  delay?: { min: number; max: number };
  /** Datagram loss probability on every link. Default 0. */
  loss?: number;
}

export interface MemoryNetworkStats {
  packetsSent: number;
  packetsDelivered: number;
  packetsDropped: number;
  bytesSent: number;
  streamsOpened: number;
  streamBytes: number;
}

/** What one simulated member gets: its network, clock and PRNG, all deterministic. */
export interface MemoryHost {
  readonly ip: string;
  readonly network: DatagramNetwork;
  readonly clock: Clock;
  readonly random: Random;
}

/**
 * An in-memory datagram + stream network on a virtual clock: per-link loss and delay, partitions, paused
 * and crashed hosts, all driven by one seeded PRNG, so one process simulates thousands of members
 * deterministically. Hosts are IPv4 addresses (`10.x.y.z`), so addresses encode as memberlist's.
 */
export class MemoryNetwork {
  readonly scheduler: VirtualScheduler;
  readonly random: Random;
  readonly stats: MemoryNetworkStats = { packetsSent: 0, packetsDelivered: 0, packetsDropped: 0, bytesSent: 0, streamsOpened: 0, streamBytes: 0 };
  #delay: { min: number; max: number };
  #loss: number;
  readonly #linkLoss = new Map<string, number>();
  readonly #group = new Map<string, number>();
  readonly #sockets = new Map<string, MemorySocket>();
  readonly #crashed = new Set<string>();
  #hostCount = 0;

  constructor(options: MemoryNetworkOptions = {}) {
    this.scheduler = options.scheduler ?? new VirtualScheduler();
    this.random = seededRandom(options.seed ?? 1);
    this.#delay = options.delay ?? { min: 0.5, max: 2 };
    this.#loss = options.loss ?? 0;
  }

  /** A new host with the next free IP (10.0.0.1, 10.0.0.2, ...), or the given one. */
  host(ip?: string): MemoryHost {
    const n = ++this.#hostCount;
    const address = ip ?? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    return {
      ip: address,
      network: { bind: (host, port, handlers) => this.#bind(address, host, port, handlers) },
      clock: this.scheduler.clock(address),
      random: forkRandom(this.random),
    };
  }

  /** Loss probability for every datagram from now on. */
  setLoss(loss: number): void {
    this.#loss = loss;
  }

  /** Loss probability for datagrams between two hosts (both directions). */
  setLinkLoss(a: string, b: string, loss: number): void {
    this.#linkLoss.set(linkKey(a, b), loss);
  }

  setDelay(delay: { min: number; max: number }): void {
    this.#delay = delay;
  }

  /** Split the network: hosts in different groups cannot reach each other; hosts not listed are in group 0. */
  partition(...groups: readonly (readonly string[])[]): void {
    this.#group.clear();
    groups.forEach((group, i) => {
      for (const ip of group) this.#group.set(ip, i + 1);
    });
  }

  heal(): void {
    this.#group.clear();
  }

  /** Stop a host as SIGSTOP does: its timers and incoming traffic are held until `resume`. */
  pause(ip: string): void {
    this.scheduler.pause(ip);
  }

  resume(ip: string): void {
    this.scheduler.resume(ip);
  }

  /** Kill a host as kill -9 does: its sockets vanish, its timers never fire. */
  crash(ip: string): void {
    this.#crashed.add(ip);
    this.scheduler.discard(ip);
    for (const [key, socket] of this.#sockets) if (socket.ip === ip) this.#sockets.delete(key);
  }

  reachable(from: string, to: string): boolean {
    if (this.#crashed.has(from) || this.#crashed.has(to)) return false;
    return (this.#group.get(from) ?? 0) === (this.#group.get(to) ?? 0);
  }

  #nextDelay(): number {
    const { min, max } = this.#delay;
    return min + (max - min) * this.random();
  }

  async #bind(ip: string, host: string, port: number, handlers: NetworkHandlers): Promise<NetworkSocket> {
    if (host !== ip && host !== "0.0.0.0") throw new Error(`memory host ${ip} cannot bind ${host}`);
    if (this.#crashed.has(ip)) throw new Error(`memory host ${ip} has crashed`);
    let bound = port;
    if (bound === 0) {
      bound = 7946;
      while (this.#sockets.has(`${ip}:${bound}`)) bound++;
    }
    const key = `${ip}:${bound}`;
    if (this.#sockets.has(key)) throw Object.assign(new Error(`bind ${key}: address in use`), { code: "EADDRINUSE" });
    const socket = new MemorySocket(this, ip, bound, handlers);
    this.#sockets.set(key, socket);
    return socket;
  }

  /** @internal */
  unbind(socket: MemorySocket): void {
    const key = `${socket.ip}:${socket.port}`;
    if (this.#sockets.get(key) === socket) this.#sockets.delete(key);
  }

  /** @internal */
  sendPacket(from: MemorySocket, to: string, data: Uint8Array): void {
    this.stats.packetsSent++;
    this.stats.bytesSent += data.byteLength;
    const toIp = ipOf(to);
    const loss = this.#linkLoss.get(linkKey(from.ip, toIp)) ?? this.#loss;
    if (!this.reachable(from.ip, toIp) || (loss > 0 && this.random() < loss)) {
      this.stats.packetsDropped++;
      return;
    }
    const copy = data.slice();
    const source = `${from.ip}:${from.port}`;
    this.scheduler.schedule(
      () => {
        const target = this.#sockets.get(to);
        if (target === undefined || target.closed) {
          this.stats.packetsDropped++;
          return;
        }
        this.stats.packetsDelivered++;
        target.handlers.packet(copy, source);
      },
      this.#nextDelay(),
      toIp,
    );
  }

  /** @internal */
  dial(from: MemorySocket, to: string, timeoutMs: number): Promise<StreamConnection> {
    const toIp = ipOf(to);
    return new Promise((resolve, reject) => {
      if (!this.reachable(from.ip, toIp)) {
        this.scheduler.schedule(() => reject(new Error(`dial ${to}: timed out after ${timeoutMs} ms`)), timeoutMs, from.ip);
        return;
      }
      const delay = this.#nextDelay();
      this.scheduler.schedule(
        () => {
          const target = this.#sockets.get(to);
          if (target === undefined || target.closed) {
            this.scheduler.schedule(() => reject(new Error(`dial ${to}: connection refused`)), delay, from.ip);
            return;
          }
          this.stats.streamsOpened++;
          const client = new MemoryConnection(this, from.ip, to);
          const server = new MemoryConnection(this, toIp, `${from.ip}:${from.port}`);
          client.peer = server;
          server.peer = client;
          from.conns.add(client);
          target.conns.add(server);
          target.handlers.stream(server);
          this.scheduler.schedule(() => resolve(client), delay, from.ip);
        },
        delay,
        toIp,
      );
    });
  }

  /** @internal */
  deliverStream(conn: MemoryConnection, fn: () => void): void {
    const peer = conn.peer;
    if (peer === undefined) return;
    const at = Math.max(this.scheduler.now() + this.#nextDelay(), conn.lastDelivery);
    conn.lastDelivery = at;
    this.scheduler.schedule(
      () => {
        if (!this.reachable(conn.ip, peer.ip)) {
          peer.fail(new Error("connection reset"));
          return;
        }
        fn();
      },
      at - this.scheduler.now(),
      peer.ip,
    );
  }
}

class MemorySocket implements NetworkSocket {
  readonly host: string;
  readonly port: number;
  readonly ip: string;
  readonly handlers: NetworkHandlers;
  readonly conns = new Set<MemoryConnection>();
  closed = false;
  readonly #net: MemoryNetwork;

  constructor(net: MemoryNetwork, ip: string, port: number, handlers: NetworkHandlers) {
    this.#net = net;
    this.ip = ip;
    this.host = ip;
    this.port = port;
    this.handlers = handlers;
  }

  sendPacket(to: string, data: Uint8Array): void {
    if (!this.closed) this.#net.sendPacket(this, to, data);
  }

  dial(to: string, timeoutMs: number): Promise<StreamConnection> {
    if (this.closed) return Promise.reject(new Error("the network socket is closed"));
    return this.#net.dial(this, to, timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#net.unbind(this);
    for (const conn of this.conns) conn.close();
  }
}

class MemoryConnection implements StreamConnection {
  readonly remote: string;
  readonly ip: string;
  peer: MemoryConnection | undefined;
  lastDelivery = 0;
  readonly #net: MemoryNetwork;
  #handlers: StreamHandlers | undefined;
  readonly #pending: Uint8Array[] = [];
  #ended: { error?: Error } | undefined;
  #closed = false;

  constructor(net: MemoryNetwork, ip: string, remote: string) {
    this.#net = net;
    this.ip = ip;
    this.remote = remote;
  }

  setHandlers(handlers: StreamHandlers): void {
    this.#handlers = handlers;
    for (const chunk of this.#pending.splice(0)) handlers.data(chunk);
    if (this.#ended !== undefined) handlers.end(this.#ended.error);
  }

  write(data: Uint8Array): void {
    if (this.#closed) return;
    const copy = data.slice();
    this.#net.stats.streamBytes += copy.byteLength;
    this.#net.deliverStream(this, () => this.peer?.receive(copy));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#net.deliverStream(this, () => this.peer?.fail());
    this.fail();
  }

  receive(chunk: Uint8Array): void {
    if (this.#ended !== undefined) return;
    if (this.#handlers === undefined) this.#pending.push(chunk);
    else this.#handlers.data(chunk);
  }

  fail(error?: Error): void {
    if (this.#ended !== undefined) return;
    this.#ended = error === undefined ? {} : { error };
    this.#handlers?.end(error);
  }
}

function ipOf(address: string): string {
  const colon = address.lastIndexOf(":");
  return colon === -1 ? address : address.slice(0, colon);
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
