import { DecodeError, InvalidArgumentError } from "@cachecluster/core";
import { decodeCompound, GO_SAFE_COMPOUND_PARTS, MAX_COMPOUND_PART_BYTES } from "./compound.js";
import { decodeCompress, encodeCompress } from "./compress.js";
import { addCrc, checkCrc } from "./crc.js";
import type { Keyring } from "./keyring.js";
import { EncryptionError } from "./encryption-error.js";
import { decodeMessage } from "./message-codec.js";
import { MessageType, messageTypeName, type PacketMessage } from "./messages.js";
import { decryptPayload, encryptOverhead, encryptPayload, type EncryptionVersion } from "./security.js";

/** memberlist's default UDPBufferSize: the largest datagram it sends. */
export const DEFAULT_UDP_BUFFER_SIZE = 1400;
/** Largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD = 65507;
/** Default bound on decompressed data inside one datagram. */
export const DEFAULT_MAX_PACKET_DECOMPRESSED_BYTES = 1024 * 1024;
/** Compound messages and compress messages nest at most this deep in a datagram. */
export const MAX_PACKET_NESTING = 4;

export interface EncodePacketOptions {
  /** Prefix hasCrcMsg + CRC-32 (memberlist does when the recipient's PMax >= 5). Default false. */
  crc?: boolean;
  /** LZW-compress each datagram when that makes it smaller (EnableCompression). Default false. */
  compress?: boolean;
  /** Encrypt with the keyring's primary key (GossipVerifyOutgoing). Default: no encryption. */
  keyring?: Keyring;
  /** Encryption version: 1 unless speaking protocol version 1. Default 1. */
  encryptionVersion?: EncryptionVersion;
  /** Largest datagram in bytes, after every layer. Default 1400 (memberlist UDPBufferSize). */
  maxPacketSize?: number;
}

export interface DecodePacketOptions {
  /** Keys tried to decrypt. Without a keyring, packets are read as plaintext. */
  keyring?: Keyring;
  /**
   * With a keyring: drop packets that do not decrypt (GossipVerifyIncoming). Default true. When false, a
   * packet that does not decrypt is read as plaintext, as memberlist does.
   */
  verifyIncoming?: boolean;
  /** Bound on decompressed bytes in one datagram. Default 1 MiB. */
  maxDecompressedBytes?: number;
}

export interface DecodedPacket {
  /** The leaf messages, in order. */
  messages: PacketMessage[];
  /** Parts of a compound message that were dropped (malformed, truncated, unsupported type). */
  errors: DecodeError[];
}

/**
 * Bytes available for the (compound) message in one datagram: maxPacketSize minus the CRC header and the
 * worst-case encryption overhead. Compression is only used when it shrinks, so it is not counted.
 */
export function packetBudget(options: EncodePacketOptions = {}): number {
  const max = options.maxPacketSize ?? DEFAULT_UDP_BUFFER_SIZE;
  if (!Number.isInteger(max) || max < 64 || max > MAX_UDP_PAYLOAD) {
    throw new InvalidArgumentError(`expected maxPacketSize to be an integer from 64 to ${MAX_UDP_PAYLOAD}, got ${max}`);
  }
  let budget = max;
  if (options.crc === true) budget -= 5;
  if (options.keyring !== undefined) budget -= encryptOverhead(options.encryptionVersion ?? 1);
  return budget;
}

/**
 * Packs messages (each a full message, type byte included) into as few datagrams as fit, in order: a lone
 * message goes as is, several as a compoundMsg (makeCompoundMessage). Each datagram then goes through
 * memberlist's rawSendMsgPacket layers: compress (if smaller), CRC, encrypt. A message too large to share a
 * datagram is sent alone; one beyond 65507 bytes after the layers is an InvalidArgumentError.
 */
export function encodePacket(msgs: readonly Uint8Array[], options: EncodePacketOptions = {}): Uint8Array[] {
  const budget = packetBudget(options);
  const groups: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let size = 2; // compound type byte + count byte
  for (const msg of msgs) {
    if (msg.length === 0) throw new InvalidArgumentError("expected every message to hold at least its type byte");
    const cost = 2 + msg.length;
    if (current.length > 0 && (size + cost > budget || current.length === GO_SAFE_COMPOUND_PARTS)) {
      groups.push(current);
      current = [];
      size = 2;
    }
    current.push(msg);
    size += cost;
  }
  if (current.length > 0) groups.push(current);
  return groups.map((group) => finishPacket(group.length === 1 ? (group[0] as Uint8Array) : compound(group), options));
}

function compound(msgs: readonly Uint8Array[]): Uint8Array {
  let size = 2 + 2 * msgs.length;
  for (const m of msgs) size += m.length;
  const out = new Uint8Array(size);
  out[0] = MessageType.Compound;
  out[1] = msgs.length;
  let pos = 2 + 2 * msgs.length;
  msgs.forEach((m, i) => {
    if (m.length > MAX_COMPOUND_PART_BYTES) throw new InvalidArgumentError(`expected a compound part of at most 65535 bytes, got ${m.length}`);
    out[2 + 2 * i] = m.length >> 8;
    out[3 + 2 * i] = m.length & 0xff;
    out.set(m, pos);
    pos += m.length;
  });
  return out;
}

/** Applies rawSendMsgPacket's layers to one datagram's content: compress (if smaller), CRC, encryption. */
export function finishPacket(msg: Uint8Array, options: EncodePacketOptions = {}): Uint8Array {
  let out = msg;
  if (options.compress === true) {
    const compressed = encodeCompress(out);
    if (compressed.length < out.length) out = compressed;
  }
  if (options.crc === true) out = addCrc(out);
  if (options.keyring !== undefined) {
    out = encryptPayload(options.encryptionVersion ?? 1, options.keyring.getPrimaryKey(), out);
  }
  if (out.length > MAX_UDP_PAYLOAD) {
    throw new InvalidArgumentError(`expected a datagram of at most ${MAX_UDP_PAYLOAD} bytes, got ${out.length}`);
  }
  return out;
}

/**
 * Decodes a datagram as memberlist's ingestPacket/handleCommand: decrypt, check the CRC, then unwrap
 * compress and compound messages (nested at most 4 deep) and decode each leaf message. Throws DecodeError
 * when the datagram as a whole is unusable; bad parts of a compound message are reported in `errors` and
 * the other parts still returned, as memberlist handles each part on its own.
 */
export function decodePacket(buf: Uint8Array, options: DecodePacketOptions = {}): DecodedPacket {
  let plain = buf;
  if (options.keyring !== undefined) {
    try {
      plain = decryptPayload(options.keyring.getKeys(), buf);
    } catch (err) {
      if (options.verifyIncoming ?? true) {
        throw new EncryptionError("undecryptable", `cannot decrypt the datagram: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      plain = buf;
    }
  }
  if (plain.length >= 5 && plain[0] === MessageType.HasCrc) plain = checkCrc(plain);
  const result: DecodedPacket = { messages: [], errors: [] };
  const ctx: Ctx = { result, budget: options.maxDecompressedBytes ?? DEFAULT_MAX_PACKET_DECOMPRESSED_BYTES };
  handleCommand(plain, ctx, 0);
  return result;
}

interface Ctx {
  result: DecodedPacket;
  /** Decompressed bytes still allowed in this datagram. */
  budget: number;
}

function handleCommand(buf: Uint8Array, ctx: Ctx, depth: number): void {
  if (depth > MAX_PACKET_NESTING) throw new DecodeError(`packet nests compound/compress messages deeper than ${MAX_PACKET_NESTING}`);
  if (buf.length === 0) throw new DecodeError("empty message: missing the message type byte");
  const type = buf[0] as number;
  switch (type) {
    case MessageType.Compound: {
      const { parts, truncated } = decodeCompound(buf.subarray(1));
      if (truncated > 0) ctx.result.errors.push(new DecodeError(`compound message: ${truncated} truncated parts dropped`));
      for (const part of parts) {
        try {
          handleCommand(part, ctx, depth + 1);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
          ctx.result.errors.push(err);
        }
      }
      return;
    }
    case MessageType.Compress: {
      const inner = decodeCompress(buf.subarray(1), ctx.budget);
      ctx.budget -= inner.length;
      handleCommand(inner, ctx, depth + 1);
      return;
    }
    case MessageType.Ping:
    case MessageType.IndirectPing:
    case MessageType.AckResp:
    case MessageType.NackResp:
    case MessageType.Suspect:
    case MessageType.Alive:
    case MessageType.Dead:
    case MessageType.User:
      ctx.result.messages.push(decodeMessage(buf) as PacketMessage);
      return;
    default:
      throw new DecodeError(`message type ${messageTypeName(type)} is not supported in a packet`);
  }
}
