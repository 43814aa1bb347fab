import { silentLogger, type Logger, type NetworkSocket, type StreamConnection } from "@cachecluster/core";
import type { MemoryHost, MemoryNetwork, VirtualScheduler } from "@cachecluster/testing/memory-network";
import { ipToBytes } from "../../src/protocol/addr.js";
import { LAN_TIMINGS, type SwimNodeConfig } from "../../src/protocol/config.js";
import type { NodeState } from "../../src/protocol/node-state.js";
import { NodeStateType, decodePacket, readStreamMessage, type PacketMessage, type StreamMessage } from "../../src/wire/index.js";

/** A protocol config for one member on `host` of a memory network (LAN timings unless overridden). */
export function testConfig(host: MemoryHost, overrides: Partial<SwimNodeConfig> = {}): SwimNodeConfig {
  return {
    ...LAN_TIMINGS,
    name: host.ip,
    bindHost: host.ip,
    bindPort: 7946,
    advertiseHost: host.ip,
    meta: new Uint8Array(0),
    verifyIncoming: true,
    verifyOutgoing: true,
    network: host.network,
    clock: host.clock,
    random: host.random,
    logger: silentLogger,
    maxUserStateBytes: 1024 * 1024,
    maxQueuedBroadcasts: 4096,
    ...overrides,
  };
}

/**
 * Keep virtual time moving in 1 ms steps. The scheduler lets a couple of promise continuations run after
 * each task; with nothing else scheduled, an `await` chain would otherwise see time jump to the next timer.
 */
export function fineGrained(scheduler: VirtualScheduler): void {
  const step = (): void => void scheduler.schedule(step, 1);
  step();
}

/** A member as a table holds it: alive at incarnation 1, speaking protocol 1..5, on `ip`:7946. */
export function member(name: string, overrides: Partial<NodeState> & { ip?: string } = {}): NodeState {
  const ip = overrides.ip ?? "10.9.0.1";
  return {
    name,
    addr: ipToBytes(ip),
    ip,
    port: 7946,
    meta: new Uint8Array(0),
    incarnation: 1,
    state: NodeStateType.Alive,
    stateChange: 0,
    vsn: Uint8Array.of(1, 5, 2, 0, 0, 0),
    ...overrides,
  };
}

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  fields: object;
}

/** A logger that keeps what it is given. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (fields: object | string, msg?: string): void => {
      lines.push(typeof fields === "string" ? { level, msg: fields, fields: {} } : { level, msg: msg ?? "", fields });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * A scripted peer on the memory network: records the messages of every datagram it gets, and answers
 * streams with `onStream` (read one message, write what it returns).
 */
export class RawPeer {
  readonly host: MemoryHost;
  readonly received: { from: string; msg: PacketMessage }[] = [];
  socket!: NetworkSocket;
  onPacket: (msg: PacketMessage, from: string, peer: RawPeer) => void = () => {};
  onStream: ((msg: StreamMessage) => Uint8Array | undefined) | undefined;
  streams = 0;

  constructor(net: MemoryNetwork, ip?: string) {
    this.host = net.host(ip);
  }

  get address(): string {
    return `${this.host.ip}:7946`;
  }

  async bind(): Promise<this> {
    this.socket = await this.host.network.bind(this.host.ip, 7946, {
      packet: (data, from) => {
        for (const msg of decodePacket(data).messages) {
          this.received.push({ from, msg });
          this.onPacket(msg, from, this);
        }
      },
      stream: (conn) => this.#answer(conn),
    });
    return this;
  }

  of<T extends PacketMessage["type"]>(type: T): Extract<PacketMessage, { type: T }>[] {
    return this.received.filter((r) => r.msg.type === type).map((r) => r.msg as Extract<PacketMessage, { type: T }>);
  }

  #answer(conn: StreamConnection): void {
    this.streams++;
    let buf = new Uint8Array(0);
    conn.setHandlers({
      data: (chunk) => {
        buf = Uint8Array.from([...buf, ...chunk]);
        const read = readStreamMessage(buf);
        if (!read.done) return;
        const reply = this.onStream?.(read.message);
        if (reply !== undefined) conn.write(reply);
        else conn.close();
      },
      end: () => {},
    });
  }
}
