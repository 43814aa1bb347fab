import { setTimeout as sleep } from "node:timers/promises";
import type { SwimOptionsInput } from "../../src/index.js";

/** Fast LAN-shaped timings for loopback tests (memberlist's ratios, 5x faster). */
export const FAST: SwimOptionsInput = {
  host: "127.0.0.1",
  port: 0,
  advertise: "127.0.0.1",
  probeIntervalMs: 200,
  probeTimeoutMs: 100,
  gossipIntervalMs: 40,
  pushPullIntervalMs: 6000,
  gossipToTheDeadMs: 6000,
  reconnectIntervalMs: 2000,
  tcpTimeoutMs: 2000,
};

/** Poll `done()` every 20 ms for up to `timeoutMs` of real time. */
export async function pollUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (done()) return true;
    await sleep(20);
  }
  return done();
}
