/// <reference types="node" preserve="true" />
/**
 * An in-memory datagram + stream network (core's `DatagramNetwork`) on a virtual clock, for simulations of
 * thousands of gossip members in one process. Import as `@cachecluster/testing/memory-network`.
 */
export { MemoryNetwork, type MemoryNetworkOptions, type MemoryNetworkStats, type MemoryHost } from "./memory-network/memory-network.js";
export { VirtualScheduler } from "./memory-network/scheduler.js";
export { seededRandom, type Random } from "./memory-network/random.js";
