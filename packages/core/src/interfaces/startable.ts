/**
 * A component with a lifecycle. The cluster starts components in dependency order
 * (transport → discovery → membership: membership consumes discovery) and stops them in reverse.
 * `stop()` called twice, or before `start()`, resolves without error.
 */
export interface Startable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A pino-compatible logger subset. Library code logs nothing unless one is given. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Removes a listener added with an `on…`/`subscribe` method. */
export type Unsubscribe = () => void;
