import { DecodeError } from "@cachecluster/core";
import type { NetworkHandlers, StreamConnection } from "@cachecluster/core";
import { EncryptionError, MessageType, encodeMessage, type PacketMessage } from "../wire/index.js";
import type { SwimNodeConfig } from "./config.js";
import type { Diagnostics } from "./diagnostics.js";
import type { Messenger } from "./messenger.js";
import type { Prober } from "./probe.js";
import type { PushPull } from "./push-pull.js";
import type { StateTransitions } from "./state-transitions.js";
import type { ProtocolStats } from "./stats.js";
import type { Timers } from "./timers.js";
import type { UserMessages } from "./user-messages.js";

export interface InboundDeps {
  readonly config: SwimNodeConfig;
  readonly stats: ProtocolStats;
  readonly timers: Timers;
  readonly messenger: Messenger;
  readonly diagnostics: Diagnostics;
  readonly transitions: StateTransitions;
  readonly prober: Prober;
  readonly pushPull: PushPull;
  readonly userMessages: UserMessages;
}

/**
 * What arrives, routed to the part it is for (memberlist net.go handleCommand and handleConn): each
 * message of a datagram, and the one message of each stream (a push/pull or a TCP ping). A stream that
 * cannot be read gets memberlist's error reply, so the other member learns why.
 */
export class Inbound implements NetworkHandlers {
  readonly #deps: InboundDeps;

  constructor(deps: InboundDeps) {
    this.#deps = deps;
  }

  packet(data: Uint8Array, from: string): void {
    if (!this.#deps.timers.running) return;
    this.#deps.timers.noteInput();
    for (const msg of this.#deps.messenger.receive(data, from)) {
      try {
        this.#handle(msg, from);
      } catch (error) {
        this.#deps.stats.decodeErrors++;
        this.#deps.config.logger.debug({ err: error, from }, "swim: dropped a bad message");
      }
    }
  }

  stream(conn: StreamConnection): void {
    if (!this.#deps.timers.running) {
      conn.close();
      return;
    }
    this.#deps.timers.noteInput();
    this.#deps.stats.streamsAccepted++;
    void this.#handleConn(conn);
  }

  /** handleCommand: route one message of a datagram. */
  #handle(msg: PacketMessage, from: string): void {
    const { prober, transitions } = this.#deps;
    switch (msg.type) {
      case MessageType.Ping:
        prober.handlePing(msg.body, from);
        break;
      case MessageType.IndirectPing:
        prober.handleIndirectPing(msg.body, from);
        break;
      case MessageType.AckResp:
        prober.handleAck(msg.body);
        break;
      case MessageType.NackResp:
        prober.handleNack(msg.body);
        break;
      case MessageType.Suspect:
        transitions.suspectNode(msg.body);
        break;
      case MessageType.Alive: {
        const alive = msg.body;
        if (alive.Port === 0) alive.Port = this.#deps.config.bindPort;
        transitions.aliveNode(alive, false);
        break;
      }
      case MessageType.Dead:
        transitions.deadNode(msg.body);
        break;
      case MessageType.User:
        this.#deps.userMessages.fromPacket(msg.body, from);
        break;
      case MessageType.Err:
        break;
      default:
        this.#deps.stats.packetsDropped++;
    }
  }

  /** handleConn: one message per stream, a push/pull, a user message or a TCP ping. */
  async #handleConn(conn: StreamConnection): Promise<void> {
    const { config, stats, messenger } = this.#deps;
    try {
      const msg = await messenger.readStream(conn, config.tcpTimeoutMs);
      switch (msg.type) {
        case MessageType.PushPull:
          this.#deps.pushPull.answer(conn, msg.body);
          break;
        case MessageType.User:
          this.#deps.userMessages.fromStream(msg.body);
          break;
        case MessageType.Ping: {
          const reply = this.#deps.prober.streamPingReply(msg.body);
          if (reply !== undefined) conn.write(reply);
          break;
        }
        default:
          break;
      }
    } catch (error) {
      stats.streamErrors++;
      config.logger.debug({ err: error, from: conn.remote }, "swim: stream failed");
      if (error instanceof DecodeError) {
        stats.decodeErrors++;
        if (error instanceof EncryptionError) this.#deps.diagnostics.decryptFailed(error, conn.remote, "stream");
        this.#replyError(conn, error.message);
      }
    } finally {
      conn.close();
    }
  }

  /** memberlist's answer to a stream it cannot read (handleConn): an errMsg with the reason, framed as we send. */
  #replyError(conn: StreamConnection, text: string): void {
    try {
      conn.write(this.#deps.messenger.encodeStream(encodeMessage(MessageType.Err, { Error: text })));
      this.#deps.stats.errorRepliesTotal++;
    } catch (error) {
      this.#deps.config.logger.debug({ err: error, to: conn.remote }, "swim: could not send an error reply");
    }
  }
}
