export { HttpTransport, type HttpTransportDeps } from "./http-transport.js";
export { HttpTransportClient } from "./client/http-client.js";
export { httpTransport } from "./module.js";
export { httpTransportOptions, parseHttpTransportOptions, type HttpTransportOptions, type HttpTransportOptionsInput } from "./options.js";
export { createPeerHandler, emptyPeerServerStats, type PeerHttpHandler, type PeerServerStats, type PeerHandlerDeps } from "./server/peer-handler.js";
export { parsePeerPath, type PeerPath } from "./server/peer-path.js";
export { escapeSegment, queryEscape, unescapeSegment } from "./wire/escape.js";
export {
  encodeGetResponse,
  decodeGetResponse,
  encodeSetRequest,
  decodeSetRequest,
  msToNanos,
  nanosToMs,
  type DecodedGetResponse,
  type DecodedSetRequest,
} from "./wire/messages.js";
