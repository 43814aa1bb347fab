export {
  MessageType,
  CompressionType,
  NodeStateType,
  PROTOCOL_VERSION_MIN,
  PROTOCOL_VERSION_2_COMPATIBLE,
  PROTOCOL_VERSION_MAX,
  META_MAX_SIZE,
  MAX_PUSH_STATE_BYTES,
  messageTypeName,
  type Vsn,
  type Ping,
  type IndirectPingReq,
  type AckResp,
  type NackResp,
  type ErrResp,
  type Suspect,
  type Alive,
  type Dead,
  type PushPullHeader,
  type UserMsgHeader,
  type PushNodeState,
  type Compress,
  type MessageBodies,
  type WireMessage,
  type PacketMessage,
} from "./messages.js";
export { encodeMessage, decodeMessage } from "./message-codec.js";
export { encodeCompound, decodeCompound, MAX_COMPOUND_PARTS, GO_SAFE_COMPOUND_PARTS, MAX_COMPOUND_PART_BYTES } from "./compound.js";
export { crc32, tableCrc32, addCrc, checkCrc } from "./crc.js";
export { lzwCompress, lzwDecompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from "./lzw.js";
export { encodeCompress, decodeCompress, decompressBody } from "./compress.js";
export { Keyring } from "./keyring.js";
export { encryptPayload, decryptPayload, encryptedLength, encryptOverhead, type EncryptionVersion } from "./security.js";
export {
  encodePacket,
  decodePacket,
  finishPacket,
  packetBudget,
  DEFAULT_UDP_BUFFER_SIZE,
  MAX_UDP_PAYLOAD,
  DEFAULT_MAX_PACKET_DECOMPRESSED_BYTES,
  MAX_PACKET_NESTING,
  type DecodedPacket,
  type EncodePacketOptions,
  type DecodePacketOptions,
} from "./packet.js";
export {
  encodePushPull,
  decodePushPull,
  encodeStreamUserMsg,
  encodeStream,
  readStreamMessage,
  type PushPull,
  type StreamMessage,
  type StreamReadResult,
  type EncodeStreamOptions,
  type DecodeStreamOptions,
} from "./stream.js";
export { StreamReader } from "./stream-reader.js";
export { EncryptionError, type EncryptionProblem } from "./encryption-error.js";
