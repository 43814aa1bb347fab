// The network interfaces the in-memory network implements are core's (`DatagramNetwork`).
import type { DatagramNetwork } from "@cachecluster/core";

export type { NetworkHandlers, NetworkSocket, StreamConnection, StreamHandlers } from "@cachecluster/core";

/** Kept under this name for the test kit's users; the same interface as membership-swim's `SwimNetwork`. */
export type SwimNetworkLike = DatagramNetwork;
