import type { DatagramNetwork } from "@cachecluster/core";
import { udpTcpNetwork } from "../../src/net/udp-tcp-network.js";
import { MessageType, decodePacket, type PacketMessage } from "../../src/wire/index.js";

/** Keep the event loop busy for `ms` (a long synchronous job in the app). */
export function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

/** A ping this member just sent; `acked()` says whether its ack has been read since. */
export interface SentPing {
  readonly to: string;
  readonly seqNo: number;
  acked(): boolean;
}

/** The messages of a datagram; none when it cannot be read without a key (an encrypted cluster is not watched). */
function messagesOf(data: Uint8Array): PacketMessage[] {
  try {
    return decodePacket(data).messages;
  } catch {
    return [];
  }
}

/**
 * The real UDP/TCP network, calling `onPing` right after each ping this member sends (its probes, and pings
 * it relays for others) while `watching()`, to stall the member while that ping is in flight.
 */
export function pingWatchingNetwork(watching: () => boolean, onPing: (ping: SentPing) => void): DatagramNetwork {
  const real = udpTcpNetwork();
  // pings watched whose ack has not been read yet (their sequence numbers)
  const unacked = new Set<number>();
  return {
    async bind(host, port, handlers) {
      const socket = await real.bind(host, port, {
        packet(data, from) {
          if (unacked.size > 0) for (const m of messagesOf(data)) if (m.type === MessageType.AckResp) unacked.delete(m.body.SeqNo);
          handlers.packet(data, from);
        },
        stream: (conn) => handlers.stream(conn),
      });
      const send = socket.sendPacket.bind(socket);
      socket.sendPacket = (to, data) => {
        send(to, data);
        if (!watching()) return;
        const first = messagesOf(data)[0];
        if (first?.type !== MessageType.Ping) return;
        const seqNo = first.body.SeqNo;
        unacked.add(seqNo);
        onPing({ to, seqNo, acked: () => !unacked.has(seqNo) });
      };
      return socket;
    },
  };
}

/**
 * Run `stall` when the loop has polled once since `ping` left (a setImmediate runs after the poll phase)
 * and its ack was not read in that poll: the stall then starts with the probe in flight and the ack on its
 * way, as when the app's own work (a request handler, a big JSON.parse) blocks the loop. False (nothing
 * run) when the ack came back first.
 */
export function stallWhileInFlight(ping: SentPing, stall: () => void): Promise<boolean> {
  return new Promise((resolve) => {
    setImmediate(() => {
      if (ping.acked()) {
        resolve(false);
        return;
      }
      stall();
      resolve(true);
    });
  });
}
