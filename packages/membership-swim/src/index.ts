export { SwimMembership, type SwimMembershipDeps, type SwimMembershipStats } from "./swim-membership.js";
export { swimMembership, type SwimRuntime } from "./module.js";
export { swimOptions, type SwimOptions, type SwimOptionsInput } from "./options.js";
export { LAN_TIMINGS, type ProtocolTimings } from "./protocol/config.js";
export type { SwimStats } from "./protocol/stats.js";
export { encodeMeta, decodeMeta } from "./protocol/meta.js";
export { suspicionTimeout, retransmitLimit, pushPullScale, remainingSuspicionTime } from "./protocol/timing.js";
export { udpTcpNetwork } from "./net/udp-tcp-network.js";
export {
  systemClock,
  splitHostPort,
  joinHostPort,
  type SwimNetwork,
  type NetworkHandlers,
  type NetworkSocket,
  type StreamConnection,
  type StreamHandlers,
  type Clock,
} from "./net/network.js";
export { Keyring } from "./wire/index.js";
