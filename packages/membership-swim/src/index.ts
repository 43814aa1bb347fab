/// <reference types="node" preserve="true" />
// The public surface of @cachecluster/membership-swim (reviewed in api/membership-swim.api.md).
export { SwimMembership, type SwimMembershipDeps, type SwimMembershipStats } from "./swim-membership.js";
export { SwimJoinError, type ExchangeProblem, type SeedFailure } from "./errors.js";
export { swimMembership, type SwimRuntime } from "./module.js";
export { swimOptions, type SwimOptions, type SwimOptionsInput, type SwimRefusal } from "./options.js";
export type { SwimPeer } from "./peer.js";
export { swimClusterKeys, type SwimClusterKeys } from "./cluster-keys.js";
export type { SwimStats } from "./protocol/stats.js";
