import type { Clock } from "@cachecluster/core";

/**
 * How late a timer may fire before the member counts it as late: Node fires a due timer within a
 * millisecond or two of its time when the event loop is free; anything later means the loop was busy
 * (or the process was not scheduled), so input may be waiting unread in the socket.
 */
export const LATE_TIMER_MS = 3;

/**
 * How many I/O turns a late deadline waits at most for the input that queued up while it was late.
 * libuv reads up to 32 datagrams per socket per turn, so this covers ~500 queued datagrams, more than a
 * socket receive buffer holds after a multi-second stall; each turn costs about a millisecond.
 */
export const MAX_LATE_TURNS = 16;

interface Entry {
  handle: unknown;
}

/**
 * The timers of one member, on its clock: each fires only while the member runs, and `stop()` cancels
 * every one still pending, so a stopped member does nothing more (memberlist's shutdown channel).
 *
 * Every timer measures how late it fired (against the clock) and reports lateness to `onLate`; a late
 * *deadline* (`deadline`, `sleepUntilDeadline`, `withTimeout`) does not count as missed until the input
 * that arrived while the member was busy has been read: Node runs expired timers before it polls the
 * sockets, so after a stall an ack already waiting in the socket would otherwise lose the race to its
 * own timeout.
 */
export class Timers {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #pending = new Set<Entry>();
  #running = false;
  #inputs = 0;
  #onLate: ((latenessMs: number) => void) | undefined;

  constructor(clock: Clock, random: () => number) {
    this.#clock = clock;
    this.#random = random;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    this.#running = true;
  }

  /** Cancel every pending timer; later ones never fire. */
  stop(): void {
    this.#running = false;
    for (const entry of this.#pending) this.#clock.clearTimeout(entry.handle);
    this.#pending.clear();
  }

  /** Called with the lateness (ms) of every timer that fired more than LATE_TIMER_MS after its time. */
  onLate(listener: (latenessMs: number) => void): void {
    this.#onLate = listener;
  }

  /** Record that input (a datagram, a stream) was read: a late deadline waits while input keeps arriving. */
  noteInput(): void {
    this.#inputs++;
  }

  /** Run `fn` once after `ms`, unless stopped or cancelled by then. */
  after(ms: number, fn: () => void): unknown {
    return this.#schedule(ms, fn, false);
  }

  /**
   * Run `fn` once after `ms`, the moment something counts as missed (an ack, a reply, a refutation): on
   * time as `after`; when the timer fires late, only after the input queued meanwhile has been read, one
   * I/O turn at a time (the clock's 0 ms timer runs after the poll phase), until a turn brings no new
   * input or MAX_LATE_TURNS passed. Cancelling the returned handle in between (the ack was read) means
   * `fn` never runs.
   */
  deadline(ms: number, fn: () => void): unknown {
    return this.#schedule(ms, fn, true);
  }

  cancel(timer: unknown): void {
    const entry = timer as Entry;
    if (!this.#pending.delete(entry)) return;
    this.#clock.clearTimeout(entry.handle);
  }

  /** Run `fn` every `intervalMs()`, first after a random stagger; returns a function that re-staggers it. */
  every(intervalMs: () => number, fn: () => void): () => void {
    let timer: unknown;
    const tick = (): void => {
      fn();
      timer = this.after(intervalMs(), tick);
    };
    timer = this.after(Math.floor(this.#random() * intervalMs()), tick);
    return () => {
      this.cancel(timer);
      timer = this.after(Math.floor(this.#random() * intervalMs()), tick);
    };
  }

  /** Resolves after `ms` (never, once stopped). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.after(ms, resolve);
    });
  }

  /** Resolves when a `deadline(ms)` would fire: after `ms`, and after the input queued meanwhile when late. */
  sleepUntilDeadline(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.deadline(ms, resolve);
    });
  }

  /** `promise`, or a rejection naming `what` after `ms` (a deadline: input that arrived in time wins). */
  withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.deadline(ms, () => reject(new Error(`${what}: timed out after ${ms} ms`)));
      promise.then(
        (value) => {
          this.cancel(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.cancel(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  #schedule(ms: number, fn: () => void, recheckWhenLate: boolean): Entry {
    const clock = this.#clock;
    const due = clock.now() + ms;
    const entry: Entry = { handle: undefined };
    let turns = 0;
    let inputsBefore = 0;
    const fire = (): void => {
      this.#pending.delete(entry);
      if (this.#running) fn();
    };
    const recheck = (): void => {
      if (!this.#running) return;
      if (this.#inputs !== inputsBefore && ++turns < MAX_LATE_TURNS) {
        inputsBefore = this.#inputs;
        entry.handle = clock.setTimeout(recheck, 0);
        return;
      }
      fire();
    };
    entry.handle = clock.setTimeout(() => {
      const lateness = clock.now() - due;
      if (lateness <= LATE_TIMER_MS) {
        fire();
        return;
      }
      this.#onLate?.(lateness);
      if (!recheckWhenLate || !this.#running) {
        fire();
        return;
      }
      // one I/O turn at least: the clock's 0 ms timer runs after the poll phase has read the sockets
      inputsBefore = this.#inputs;
      entry.handle = clock.setTimeout(recheck, 0);
    }, ms);
    this.#pending.add(entry);
    return entry;
  }
}
