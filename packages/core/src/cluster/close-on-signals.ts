import { InvalidArgumentError } from "../errors.js";
import { type Logger, silentLogger } from "../interfaces/logger.js";
import type { Unsubscribe } from "../interfaces/startable.js";

export interface CloseOnSignalsOptions {
  /** Signals that start the shutdown; default SIGTERM (what Kubernetes, systemd and GCE MIGs send) and SIGINT (Ctrl-C). */
  readonly signals?: readonly NodeJS.Signals[];
  /** Runs first, e.g. to stop the application's own HTTP server so no new gets arrive. */
  readonly beforeClose?: (signal: NodeJS.Signals) => void | Promise<void>;
  /** Runs after the cluster closed (or failed to), e.g. to close a database pool. */
  readonly afterClose?: (signal: NodeJS.Signals, error?: unknown) => void | Promise<void>;
  /** How long the departure may take to spread (passed to `membership.leave`); default 1000 ms. */
  readonly leaveTimeoutMs?: number;
  /** Upper bound for the whole shutdown; past it the process exits with code 1. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Exit the process when done (0, or 1 on failure, timeout or a second signal). Default true. */
  readonly exit?: boolean;
  readonly logger?: Logger;
}

/**
 * Graceful shutdown on a signal: `beforeClose`, then `cluster.close()` — leave the membership (peers stop
 * routing keys here), stop discovery and membership, stop the transport (its server stops accepting and
 * finishes the requests in flight) — then `afterClose` and `process.exit`. A second signal while shutting
 * down exits at once with code 1. Returns a function that removes the signal handlers.
 */
export function closeOnSignals(cluster: { close(options?: { leaveTimeoutMs?: number }): Promise<void> }, options: CloseOnSignalsOptions = {}): Unsubscribe {
  const signals: readonly NodeJS.Signals[] = options.signals ?? ["SIGTERM", "SIGINT"];
  if (!isSignalList(signals)) {
    throw new InvalidArgumentError(`expected options.signals to be a non-empty array of signal names such as "SIGTERM", got ${JSON.stringify(signals)}`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new InvalidArgumentError(`expected options.timeoutMs to be a positive number, got ${String(timeoutMs)}`);
  const exit = options.exit ?? true;
  const logger = options.logger ?? silentLogger;
  let shuttingDown = false;

  const finish = (code: number): void => {
    if (exit) process.exit(code);
  };

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    const timer = setTimeout(() => {
      logger.error({ signal, timeoutMs }, "cachecluster: graceful shutdown timed out");
      finish(1);
    }, timeoutMs);
    timer.unref();
    let failure: unknown;
    try {
      await options.beforeClose?.(signal);
      await cluster.close(options.leaveTimeoutMs === undefined ? {} : { leaveTimeoutMs: options.leaveTimeoutMs });
    } catch (error) {
      failure = error;
      logger.error({ err: error, signal }, "cachecluster: graceful shutdown failed");
    }
    try {
      await options.afterClose?.(signal, failure);
    } catch (error) {
      failure ??= error;
      logger.error({ err: error, signal }, "cachecluster: afterClose failed");
    }
    clearTimeout(timer);
    remove();
    logger.info({ signal }, "cachecluster: closed");
    finish(failure === undefined ? 0 : 1);
  };

  const handler = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger.warn({ signal }, "cachecluster: second signal during shutdown, exiting now");
      finish(1);
      return;
    }
    shuttingDown = true;
    logger.info({ signal }, "cachecluster: shutting down");
    void shutdown(signal);
  };

  const remove = (): void => {
    for (const signal of signals) process.removeListener(signal, handler);
  };
  for (const signal of signals) process.on(signal, handler);
  return remove;
}

function isSignalList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((s) => typeof s === "string" && /^SIG[A-Z0-9]+$/.test(s));
}
