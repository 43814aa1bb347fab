import type { Clock } from "@cachecluster/core";
import type { Awareness } from "./awareness.js";
import type { ProtocolStats } from "./stats.js";

/**
 * Lifeguard's "am I the slow one?" signal taken from our own timers (the local health of memberlist
 * awareness.go raises its score on missed nacks and refutations; a Node process can also see it
 * directly): a timer that fires a fifth of the probe timeout or more after its time means this member's
 * event loop or process was stalled, so its view of who answered in time is unreliable. Each stall raises
 * the health score by one (at most once per probe interval, so one long stall that makes every pending
 * timer late counts once), which stretches the probe window until successful probes bring it back down.
 */
export class StallDetector {
  readonly #clock: Clock;
  readonly #awareness: Awareness;
  readonly #stats: ProtocolStats;
  readonly #thresholdMs: number;
  readonly #intervalMs: number;
  #last = Number.NEGATIVE_INFINITY;

  constructor(config: { clock: Clock; probeTimeoutMs: number; probeIntervalMs: number }, awareness: Awareness, stats: ProtocolStats) {
    this.#clock = config.clock;
    this.#awareness = awareness;
    this.#stats = stats;
    this.#thresholdMs = Math.max(1, config.probeTimeoutMs / 5);
    this.#intervalMs = config.probeIntervalMs;
  }

  /** A timer fired `latenessMs` after its time. */
  late(latenessMs: number): void {
    if (latenessMs > this.#stats.maxTimerLatenessMs) this.#stats.maxTimerLatenessMs = latenessMs;
    if (latenessMs < this.#thresholdMs) return;
    const now = this.#clock.now();
    if (now - this.#last < this.#intervalMs) return;
    this.#last = now;
    this.#stats.stallsTotal++;
    this.#awareness.applyDelta(1);
  }
}
