/**
 * A component with a lifecycle. The cluster starts components in dependency order (transport, then discovery,
 * then membership, which consumes discovery's results and needs the transport's bound URL) and stops them in
 * reverse. `stop()` called twice, or before `start()`, resolves without error.
 */
export interface Startable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Removes a listener added with an `on…`/`subscribe` method. */
export type Unsubscribe = () => void;
