import { createSocket, type Socket as DgramSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import {
  joinHostPort,
  splitHostPort,
  type NetworkHandlers,
  type NetworkSocket,
  type StreamConnection,
  type StreamHandlers,
  type DatagramNetwork,
} from "@cachecluster/core";
import { LATE_TIMER_MS } from "../protocol/timers.js";

/** The real network: UDP datagrams (node:dgram) and TCP streams (node:net) on one port, as memberlist's NetTransport. */
export function udpTcpNetwork(): DatagramNetwork {
  return { bind };
}

const BIND_ATTEMPTS = 10;

async function bind(host: string, port: number, handlers: NetworkHandlers): Promise<NetworkSocket> {
  let lastError: unknown;
  for (let attempt = 0; attempt < (port === 0 ? BIND_ATTEMPTS : 1); attempt++) {
    const server = createServer({ noDelay: true });
    try {
      await listen(server, host, port);
    } catch (error) {
      server.close();
      throw error;
    }
    const address = server.address();
    const bound = typeof address === "object" && address !== null ? address.port : port;
    const udp = createSocket({ type: isIPv6(host) ? "udp6" : "udp4", reuseAddr: false });
    try {
      await bindUdp(udp, host, bound);
      return new UdpTcpSocket(host, bound, server, udp, handlers);
    } catch (error) {
      lastError = error;
      udp.close();
      server.close();
    }
  }
  throw lastError;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function bindUdp(udp: DgramSocket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(port, host, () => {
      udp.off("error", reject);
      setRecvBuffer(udp);
      resolve();
    });
  });
}

/** memberlist's receive buffer (net_transport.go udpRecvBufSize). */
const UDP_RECV_BUFFER = 2 * 1024 * 1024;

/**
 * A receive buffer as large as the system allows up to 2 MiB, as memberlist's setUDPRecvBuf does (Linux
 * caps it at net.core.rmem_max), so the datagrams that queue up while this process is stalled (a busy
 * event loop, a starved or stopped process) are still there when it reads again.
 */
function setRecvBuffer(udp: DgramSocket): void {
  for (let size = UDP_RECV_BUFFER; size >= 64 * 1024; size /= 2) {
    try {
      udp.setRecvBufferSize(size);
      return;
    } catch {
      // too large for this system: try half
    }
  }
}

class UdpTcpSocket implements NetworkSocket {
  readonly host: string;
  readonly port: number;
  readonly #server: Server;
  readonly #udp: DgramSocket;
  readonly #conns = new Set<Socket>();
  #closed = false;

  constructor(host: string, port: number, server: Server, udp: DgramSocket, handlers: NetworkHandlers) {
    this.host = host;
    this.port = port;
    this.#server = server;
    this.#udp = udp;
    udp.on("message", (msg, rinfo) => {
      handlers.packet(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), joinHostPort(rinfo.address, rinfo.port));
    });
    udp.on("error", () => {});
    server.on("connection", (socket) => {
      this.#track(socket);
      handlers.stream(new TcpConnection(socket, joinHostPort(socket.remoteAddress ?? "?", socket.remotePort ?? 0)));
    });
    server.on("error", () => {});
  }

  sendPacket(to: string, data: Uint8Array): void {
    if (this.#closed) return;
    const target = splitHostPort(to);
    if (target === undefined) return;
    try {
      this.#udp.send(data, target.port, target.host, () => {});
    } catch {
      // a closed socket or a bad address: UDP is lossy, the protocol copes
    }
  }

  dial(to: string, timeoutMs: number): Promise<StreamConnection> {
    const target = splitHostPort(to);
    if (target === undefined) return Promise.reject(new Error(`expected a host:port address, got ${JSON.stringify(to)}`));
    if (this.#closed) return Promise.reject(new Error("the network socket is closed"));
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: target.host, port: target.port, noDelay: true });
      this.#track(socket);
      const giveUp = (): void => {
        socket.destroy();
        reject(new Error(`dial ${to}: timed out after ${timeoutMs} ms`));
      };
      const due = Date.now() + timeoutMs;
      // a deadline (as the protocol's Timers.deadline): when the timer fires late, the connection may have
      // completed in time with its event still waiting behind the timers phase; give it one I/O turn
      let timer = setTimeout(() => {
        if (Date.now() - due > LATE_TIMER_MS) timer = setTimeout(giveUp, 0);
        else giveUp();
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new TcpConnection(socket, to));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#conns) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.#server.close(() => resolve())),
      new Promise<void>((resolve) => {
        try {
          this.#udp.close(() => resolve());
        } catch {
          resolve();
        }
      }),
    ]);
  }

  #track(socket: Socket): void {
    this.#conns.add(socket);
    socket.once("close", () => this.#conns.delete(socket));
  }
}

class TcpConnection implements StreamConnection {
  readonly remote: string;
  readonly #socket: Socket;
  #handlers: StreamHandlers | undefined;
  readonly #pending: Uint8Array[] = [];
  #ended: { error?: Error } | undefined;

  constructor(socket: Socket, remote: string) {
    this.#socket = socket;
    this.remote = remote;
    socket.on("data", (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (this.#handlers === undefined) this.#pending.push(bytes);
      else this.#handlers.data(bytes);
    });
    socket.on("error", (error) => this.#end(error));
    socket.on("close", () => this.#end());
    socket.on("end", () => this.#end());
  }

  setHandlers(handlers: StreamHandlers): void {
    this.#handlers = handlers;
    for (const chunk of this.#pending.splice(0)) handlers.data(chunk);
    if (this.#ended !== undefined) handlers.end(this.#ended.error);
  }

  write(data: Uint8Array): void {
    if (!this.#socket.destroyed) this.#socket.write(data);
  }

  close(): void {
    this.#socket.end();
    this.#socket.destroySoon();
  }

  #end(error?: Error): void {
    if (this.#ended !== undefined) return;
    this.#ended = error === undefined ? {} : { error };
    this.#handlers?.end(error);
  }
}
