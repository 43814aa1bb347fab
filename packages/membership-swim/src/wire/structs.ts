import { StructSpec } from "./msgpack.js";

/** The memberlist structs of net.go, fields in Go declaration order. */
export const pingSpec = new StructSpec("ping", [
  { name: "SeqNo", kind: "uint32" },
  { name: "Node", kind: "string" },
  { name: "SourceAddr", kind: "bytes", omitEmpty: true },
  { name: "SourcePort", kind: "uint16", omitEmpty: true },
  { name: "SourceNode", kind: "string", omitEmpty: true },
]);

export const indirectPingReqSpec = new StructSpec("indirectPingReq", [
  { name: "SeqNo", kind: "uint32" },
  { name: "Target", kind: "bytes" },
  { name: "Port", kind: "uint16" },
  { name: "Node", kind: "string" },
  { name: "Nack", kind: "bool" },
  { name: "SourceAddr", kind: "bytes", omitEmpty: true },
  { name: "SourcePort", kind: "uint16", omitEmpty: true },
  { name: "SourceNode", kind: "string", omitEmpty: true },
]);

export const ackRespSpec = new StructSpec("ackResp", [
  { name: "SeqNo", kind: "uint32" },
  { name: "Payload", kind: "bytes" },
]);

export const nackRespSpec = new StructSpec("nackResp", [{ name: "SeqNo", kind: "uint32" }]);

export const errRespSpec = new StructSpec("errResp", [{ name: "Error", kind: "string" }]);

export const suspectSpec = new StructSpec("suspect", [
  { name: "Incarnation", kind: "uint32" },
  { name: "Node", kind: "string" },
  { name: "From", kind: "string" },
]);

export const aliveSpec = new StructSpec("alive", [
  { name: "Incarnation", kind: "uint32" },
  { name: "Node", kind: "string" },
  { name: "Addr", kind: "bytes" },
  { name: "Port", kind: "uint16" },
  { name: "Meta", kind: "bytes" },
  { name: "Vsn", kind: "bytes" },
]);

export const deadSpec = new StructSpec("dead", [
  { name: "Incarnation", kind: "uint32" },
  { name: "Node", kind: "string" },
  { name: "From", kind: "string" },
]);

export const pushPullHeaderSpec = new StructSpec("pushPullHeader", [
  { name: "Nodes", kind: "int" },
  { name: "UserStateLen", kind: "int" },
  { name: "Join", kind: "bool" },
]);

export const userMsgHeaderSpec = new StructSpec("userMsgHeader", [{ name: "UserMsgLen", kind: "int" }]);

export const pushNodeStateSpec = new StructSpec("pushNodeState", [
  { name: "Name", kind: "string" },
  { name: "Addr", kind: "bytes" },
  { name: "Port", kind: "uint16" },
  { name: "Meta", kind: "bytes" },
  { name: "Incarnation", kind: "uint32" },
  { name: "State", kind: "int" },
  { name: "Vsn", kind: "bytes" },
]);

export const compressSpec = new StructSpec("compress", [
  { name: "Algo", kind: "uint8" },
  { name: "Buf", kind: "bytes" },
]);
