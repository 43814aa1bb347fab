import { type Logger, silentLogger } from "../interfaces/logger.js";

export interface OutlierSettings {
  /** Consecutive failed fetches after which a peer is skipped; 0 never skips. */
  readonly ejectAfter: number;
  /** First cooling-off in ms; doubles each time the peer fails its probe, up to `maxEjectMs`. */
  readonly ejectMs: number;
  readonly maxEjectMs: number;
}

/** One peer that is skipped now, or was lately. */
export interface EjectedPeer {
  readonly peer: string;
  /** `ejected`: its keys load here until `until`; `probing`: one fetch is trying it again. */
  readonly state: "ejected" | "probing";
  /** `Date.now()` when the cooling-off ends. */
  readonly until: number;
  readonly since: number;
  /** Ejections in a row (failed probes + 1). */
  readonly ejections: number;
  readonly lastError: string;
}

interface PeerRecord {
  consecutive: number;
  /** 0 while admitted. */
  ejectedUntil: number;
  since: number;
  ejections: number;
  probing: boolean;
  lastError: string;
}

/**
 * Outlier ejection of peers (as Envoy's): after `ejectAfter` consecutive failed fetches (timeouts, refused
 * connections, 502/503/504) a peer is skipped for a cooling-off period, during which its keys load on the
 * calling node. Then one fetch probes it: success brings it back, failure ejects it again for twice as long.
 * Without it, a frozen peer (a stopped process, a hung VM) costs every get of its keys the whole peer timeout
 * until membership drops it, and forever with a static peer list.
 */
export class PeerOutliers {
  readonly settings: OutlierSettings;
  readonly #records = new Map<string, PeerRecord>();
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Ejections by peer since start (for the counter). */
  readonly ejectionsTotal = new Map<string, number>();
  /** Fetches skipped because their peer was ejected. */
  readonly skippedTotal = new Map<string, number>();

  constructor(settings: OutlierSettings, deps: { logger?: Logger; now?: () => number } = {}) {
    this.settings = settings;
    this.#logger = deps.logger ?? silentLogger;
    this.#now = deps.now ?? Date.now;
  }

  /** Whether to fetch from `peer` now: false while it is ejected, and while its one probe is under way. */
  admit(peer: string): boolean {
    const r = this.#records.get(peer);
    if (r === undefined || r.ejectedUntil === 0) return true;
    if (r.probing || this.#now() < r.ejectedUntil) {
      this.skippedTotal.set(peer, (this.skippedTotal.get(peer) ?? 0) + 1);
      return false;
    }
    r.probing = true;
    return true;
  }

  /** The peer answered (a value, or an error of its own such as a loader failure). */
  succeeded(peer: string): void {
    const r = this.#records.get(peer);
    if (r === undefined) return;
    if (r.ejectedUntil !== 0) {
      this.#logger.info(
        { peer, ejectedForMs: this.#now() - r.since, ejections: r.ejections },
        `cachecluster: peer ${peer} answers again; fetching its keys from it again`,
      );
    }
    this.#records.delete(peer);
  }

  /** A fetch that neither succeeded nor failed (aborted by its callers): a probe may go again. */
  abandoned(peer: string): void {
    const r = this.#records.get(peer);
    if (r !== undefined) r.probing = false;
  }

  /** The peer failed to answer (`reason` is the error's text). Returns its failures in a row, this one included. */
  failed(peer: string, reason: string): number {
    const now = this.#now();
    let r = this.#records.get(peer);
    if (r === undefined) this.#records.set(peer, (r = { consecutive: 0, ejectedUntil: 0, since: now, ejections: 0, probing: false, lastError: reason }));
    r.consecutive++;
    r.lastError = reason;
    if (this.settings.ejectAfter <= 0) return r.consecutive;
    if (r.ejectedUntil !== 0 && !r.probing) return r.consecutive; // fetches that were in flight when it was ejected
    if (r.ejectedUntil === 0 && r.consecutive < this.settings.ejectAfter) return r.consecutive;
    r.probing = false;
    r.ejections++;
    if (r.ejections === 1) r.since = now;
    const ms = Math.min(this.settings.ejectMs * 2 ** (r.ejections - 1), Math.max(this.settings.maxEjectMs, this.settings.ejectMs));
    r.ejectedUntil = now + ms;
    this.ejectionsTotal.set(peer, (this.ejectionsTotal.get(peer) ?? 0) + 1);
    this.#logger.warn(
      { peer, consecutiveFailures: r.consecutive, ejections: r.ejections, ejectMs: ms, lastError: reason },
      r.ejections === 1
        ? `cachecluster: peer ${peer} failed ${r.consecutive} fetches in a row (last: ${reason}); its keys load here for ${ms} ms, then one fetch probes it`
        : `cachecluster: peer ${peer} still fails (probe: ${reason}); its keys load here for ${ms} ms more`,
    );
    return r.consecutive;
  }

  /** Whether `peer` is skipped now. */
  isEjected(peer: string): boolean {
    const r = this.#records.get(peer);
    return r !== undefined && r.ejectedUntil !== 0;
  }

  /** The peers skipped now (or being probed). */
  ejected(): EjectedPeer[] {
    const out: EjectedPeer[] = [];
    for (const [peer, r] of this.#records) {
      if (r.ejectedUntil === 0) continue;
      out.push({ peer, state: r.probing ? "probing" : "ejected", until: r.ejectedUntil, since: r.since, ejections: r.ejections, lastError: r.lastError });
    }
    return out;
  }

  /** Forget peers no longer on the ring. */
  retain(peers: readonly string[]): void {
    const keep = new Set(peers);
    for (const peer of [...this.#records.keys()]) if (!keep.has(peer)) this.#records.delete(peer);
    for (const map of [this.ejectionsTotal, this.skippedTotal]) for (const peer of [...map.keys()]) if (!keep.has(peer)) map.delete(peer);
  }
}
