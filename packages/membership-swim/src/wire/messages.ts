/**
 * Message types and bodies of hashicorp/memberlist 0.2.2 (net.go), with Go's field names kept as the
 * msgpack map keys. Byte slices are Uint8Array; uint8/uint16/uint32/int fields are plain numbers.
 */

/** memberlist's `messageType` (net.go, iota order). The first byte of every message. */
export const MessageType = {
  Ping: 0,
  IndirectPing: 1,
  AckResp: 2,
  Suspect: 3,
  Alive: 4,
  Dead: 5,
  PushPull: 6,
  Compound: 7,
  User: 8,
  Compress: 9,
  Encrypt: 10,
  NackResp: 11,
  HasCrc: 12,
  Err: 13,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** memberlist's `compressionType`: only LZW exists. */
export const CompressionType = { Lzw: 0 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

/** memberlist's `NodeStateType` (state.go). */
export const NodeStateType = { Alive: 0, Suspect: 1, Dead: 2, Left: 3 } as const;
export type NodeStateType = (typeof NodeStateType)[keyof typeof NodeStateType];

/** Protocol versions memberlist 0.2.2 understands (net.go). */
export const PROTOCOL_VERSION_MIN = 1;
export const PROTOCOL_VERSION_2_COMPATIBLE = 2;
export const PROTOCOL_VERSION_MAX = 5;
/** Maximum node meta size (net.go MetaMaxSize). */
export const META_MAX_SIZE = 512;
/** Maximum size of a push/pull state accepted from a stream (net.go maxPushStateBytes). */
export const MAX_PUSH_STATE_BYTES = 20 * 1024 * 1024;

/**
 * Protocol/delegate versions, order: pmin, pmax, pcur, dmin, dmax, dcur (6 bytes in practice; decoders
 * accept any length as Go does).
 */
export type Vsn = Uint8Array;

/** ping: sent directly to a node. Source* fields are omitted on the wire when empty/zero (omitempty). */
export interface Ping {
  SeqNo: number;
  Node: string;
  SourceAddr?: Uint8Array;
  SourcePort?: number;
  SourceNode?: string;
}

/** indirectPingReq: ask a node to ping Target on our behalf. */
export interface IndirectPingReq {
  SeqNo: number;
  Target: Uint8Array;
  Port: number;
  Node: string;
  Nack: boolean;
  SourceAddr?: Uint8Array;
  SourcePort?: number;
  SourceNode?: string;
}

/** ackResp: answer to a ping. Payload is nil (msgpack nil) when empty in Go; decoded as empty bytes. */
export interface AckResp {
  SeqNo: number;
  Payload: Uint8Array;
}

/** nackResp: the indirect ping was tried but got no ack in time. */
export interface NackResp {
  SeqNo: number;
}

/** errResp: relays an error over a stream. */
export interface ErrResp {
  Error: string;
}

/** suspect: broadcast when a node is suspected dead. */
export interface Suspect {
  Incarnation: number;
  Node: string;
  From: string;
}

/** alive: broadcast when a node is known alive; also used for joining. */
export interface Alive {
  Incarnation: number;
  Node: string;
  Addr: Uint8Array;
  Port: number;
  Meta: Uint8Array;
  Vsn: Vsn;
}

/** dead: broadcast when a node is confirmed dead; also used for leaving (Node === From). */
export interface Dead {
  Incarnation: number;
  Node: string;
  From: string;
}

/** pushPullHeader: how many node states and user-state bytes follow on a push/pull stream. */
export interface PushPullHeader {
  Nodes: number;
  UserStateLen: number;
  Join: boolean;
}

/** userMsgHeader: length of the user message that follows on a stream. */
export interface UserMsgHeader {
  UserMsgLen: number;
}

/** pushNodeState: one node's state in a push/pull exchange. */
export interface PushNodeState {
  Name: string;
  Addr: Uint8Array;
  Port: number;
  Meta: Uint8Array;
  Incarnation: number;
  State: NodeStateType;
  Vsn: Vsn;
}

/** compress: wraps a payload compressed with Algo. */
export interface Compress {
  Algo: CompressionType;
  Buf: Uint8Array;
}

/**
 * Body of each message type as `decodeMessage` returns it. Types whose payload is not one msgpack body
 * (compound, encrypt, hasCrc, pushPull, user) carry the raw bytes after the type byte; use
 * `decodeCompound`, `decryptPayload`, `checkCrc`, `decodePushPull` or the packet/stream helpers for them.
 */
export interface MessageBodies {
  [MessageType.Ping]: Ping;
  [MessageType.IndirectPing]: IndirectPingReq;
  [MessageType.AckResp]: AckResp;
  [MessageType.Suspect]: Suspect;
  [MessageType.Alive]: Alive;
  [MessageType.Dead]: Dead;
  [MessageType.PushPull]: Uint8Array;
  [MessageType.Compound]: Uint8Array;
  [MessageType.User]: Uint8Array;
  [MessageType.Compress]: Compress;
  [MessageType.Encrypt]: Uint8Array;
  [MessageType.NackResp]: NackResp;
  [MessageType.HasCrc]: Uint8Array;
  [MessageType.Err]: ErrResp;
}

/** A decoded message: `type` discriminates the body. */
export type WireMessage = { [K in MessageType]: { type: K; body: MessageBodies[K] } }[MessageType];

/** Message types carried in a single datagram that the SWIM state machine acts on (leaf messages). */
export type PacketMessage = Extract<WireMessage, { type: 0 | 1 | 2 | 3 | 4 | 5 | 8 | 11 | 13 }>;

/** memberlist's messageType name, for logs and errors. */
export function messageTypeName(type: number): string {
  for (const [name, value] of Object.entries(MessageType)) if (value === type) return name;
  return `unknown(${type})`;
}
