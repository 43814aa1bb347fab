/// <reference types="node" preserve="true" />
// The public surface of @cachecluster/transport-http (reviewed in api/transport-http.api.md).
export { HttpTransport, type HttpTransportDeps } from "./http-transport.js";
export type { HttpTransportClient, HttpClientOptions } from "./client/http-client.js";
export { httpTransport } from "./module.js";
export { transportCacheKeys } from "./config-keys.js";
export { httpTransportOptions, type HttpTransportOptions, type HttpTransportOptionsInput } from "./options.js";
export { createPeerHandler, type PeerHttpHandler, type PeerServerStats, type PeerServerGauges, type PeerHandlerDeps } from "./server/peer-handler.js";
