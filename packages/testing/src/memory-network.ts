export { MemoryNetwork, type MemoryNetworkOptions, type MemoryNetworkStats, type MemoryHost } from "./memory-network/memory-network.js";
export { VirtualScheduler, type VirtualClock } from "./memory-network/scheduler.js";
export { seededRandom, forkRandom, type Random } from "./memory-network/random.js";
export type { SwimNetworkLike, NetworkHandlers, NetworkSocket, StreamConnection, StreamHandlers } from "./memory-network/types.js";
