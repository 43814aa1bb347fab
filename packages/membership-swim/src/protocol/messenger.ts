import type { DecodeError, NetworkSocket, StreamConnection } from "@cachecluster/core";
import {
  EncryptionError,
  decodePacket,
  encodePacket,
  encodeStream,
  type DecodePacketOptions,
  type EncodePacketOptions,
  type PacketMessage,
  type StreamMessage,
} from "../wire/index.js";
import { ipToBytes } from "./addr.js";
import type { SwimNodeConfig } from "./config.js";
import type { Diagnostics } from "./diagnostics.js";
import type { NodeTable } from "./node-table.js";
import { protocolMax } from "./node-state.js";
import type { ProtocolStats } from "./stats.js";
import { readStream } from "./read-stream.js";
import type { Timers } from "./timers.js";

/** Where other members reach us, as pings and ping requests carry it. */
export interface Source {
  SourceAddr: Uint8Array;
  SourcePort: number;
  SourceNode: string;
}

/**
 * The member's sending and framing (memberlist net.go sendMsg, rawSendMsgPacket, rawSendMsgStream,
 * readStream): datagrams with piggybacked broadcasts, CRC for members that speak protocol 5, compression
 * and encryption as configured; stream dials, writes and reads bounded by the member's timers.
 */
export class Messenger {
  readonly #config: SwimNodeConfig;
  readonly #stats: ProtocolStats;
  readonly #table: NodeTable;
  readonly #timers: Timers;
  readonly #piggyback: (msgLength: number) => Uint8Array[];
  readonly #diagnostics: Diagnostics;
  readonly #decodeOptions: DecodePacketOptions;
  readonly #packetOptions: { crc: EncodePacketOptions; plain: EncodePacketOptions };
  #socket: NetworkSocket | undefined;
  #source: Source | undefined;

  constructor(
    config: SwimNodeConfig,
    stats: ProtocolStats,
    table: NodeTable,
    timers: Timers,
    diagnostics: Diagnostics,
    piggyback: (msgLength: number) => Uint8Array[],
  ) {
    this.#config = config;
    this.#stats = stats;
    this.#table = table;
    this.#timers = timers;
    this.#diagnostics = diagnostics;
    this.#piggyback = piggyback;
    this.#decodeOptions = { ...(config.keyring === undefined ? {} : { keyring: config.keyring }), verifyIncoming: config.verifyIncoming };
    const base: EncodePacketOptions = {
      compress: config.compress,
      ...(this.encrypting && config.keyring !== undefined ? { keyring: config.keyring, encryptionVersion: 1 as const } : {}),
      // messages are packed to udpBufferSize before CRC and encryption, as memberlist does; leave room for those
      maxPacketSize: config.udpBufferSize + 64,
    };
    this.#packetOptions = { crc: { ...base, crc: true }, plain: base };
  }

  /** Whether what we send is encrypted (a keyring and GossipVerifyOutgoing). */
  get encrypting(): boolean {
    return this.#config.keyring !== undefined && this.#config.verifyOutgoing;
  }

  get socket(): NetworkSocket | undefined {
    return this.#socket;
  }

  /** Send through `socket`; pings and ping requests name `advertise` (ip, port) as where to answer. */
  attach(socket: NetworkSocket, advertise: { ip: string; port: number }): void {
    this.#socket = socket;
    this.#source = { SourceAddr: ipToBytes(advertise.ip), SourcePort: advertise.port, SourceNode: this.#config.name };
  }

  /** Our advertised address and name, for pings and ping requests (spread it into the message). */
  source(): Readonly<Source> {
    if (this.#source === undefined) throw new Error("swim: not started");
    return this.#source;
  }

  /** encodeAndSendMsg/sendMsg: one message plus as many piggybacked broadcasts as fit in the datagram. */
  sendMsg(address: string, name: string, msg: Uint8Array): void {
    const extra = this.#piggyback(msg.byteLength);
    this.rawSend(address, name, extra.length === 0 ? [msg] : [msg, ...extra]);
  }

  /** Messages to member `name` at `address`, packed into as few datagrams as fit. */
  rawSend(address: string, name: string, msgs: Uint8Array[]): void {
    const socket = this.#socket;
    if (socket === undefined || !this.#timers.running) return;
    const node = this.#table.get(name);
    const packets = encodePacket(msgs, protocolMax(node) >= 5 ? this.#packetOptions.crc : this.#packetOptions.plain);
    for (const packet of packets) {
      this.#stats.packetsSent++;
      this.#stats.bytesSent += packet.byteLength;
      socket.sendPacket(address, packet);
    }
  }

  /** The messages of a received datagram; undecodable ones are counted and dropped (ingestPacket). */
  receive(data: Uint8Array, from: string): PacketMessage[] {
    this.#stats.packetsReceived++;
    this.#stats.bytesReceived += data.byteLength;
    let decoded: { messages: PacketMessage[]; errors: DecodeError[] };
    try {
      decoded = decodePacket(data, this.#decodeOptions);
    } catch (error) {
      this.#stats.packetsDropped++;
      this.#stats.decodeErrors++;
      if (error instanceof EncryptionError) this.#diagnostics.decryptFailed(error, from, "datagram");
      else this.#config.logger.debug({ err: error, from }, "swim: dropped an undecodable packet");
      return [];
    }
    this.#stats.decodeErrors += decoded.errors.length;
    this.#stats.messagesReceived += decoded.messages.length;
    return decoded.messages;
  }

  /** A stream connection to `address`, within `timeoutMs`. */
  dial(address: string, timeoutMs: number): Promise<StreamConnection> {
    const socket = this.#socket;
    if (socket === undefined || !this.#timers.running) return Promise.reject(new Error("swim: not running"));
    return this.#timers.withTimeout(socket.dial(address, timeoutMs), timeoutMs, `dial ${address}`);
  }

  /** A message framed for a stream: compressed and encrypted as configured (rawSendMsgStream). */
  encodeStream(msg: Uint8Array): Uint8Array {
    return encodeStream(msg, {
      compress: this.#config.compress,
      ...(this.encrypting && this.#config.keyring !== undefined ? { keyring: this.#config.keyring, encryptionVersion: 1 as const } : {}),
    });
  }

  /** One message read from a stream, within `timeoutMs` (readStream). */
  readStream(conn: StreamConnection, timeoutMs: number): Promise<StreamMessage> {
    return readStream(conn, timeoutMs, this.#decodeOptions, this.#timers);
  }
}
