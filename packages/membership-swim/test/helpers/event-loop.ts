import type { Clock } from "@cachecluster/core";

/** Let the promise callbacks queued so far (and those they queue, a few levels deep) run. */
async function microtasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A model of Node's event loop, in virtual time, for the races a stalled loop causes: `stall(ms)` moves
 * the clock with nothing running (a busy-wait, a starved or stopped process) while `arrive()` queues
 * input in the socket; `turn()` is one loop iteration: first every timer that is due (libuv's timers
 * phase, in due order; those scheduled during it wait for the next turn), then every input that queued
 * up (the poll phase).
 */
export class EventLoopModel {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];
  #inputs: (() => void)[] = [];

  readonly clock: Clock = {
    now: () => this.#now,
    setTimeout: (fn, ms) => {
      const timer: Timer = { due: this.#now + Math.max(1, ms), seq: this.#seq++, fn, cancelled: false };
      this.#timers.push(timer);
      return timer;
    },
    clearTimeout: (handle) => {
      (handle as Timer).cancelled = true;
    },
  };

  now(): number {
    return this.#now;
  }

  /** The clock moves `ms` while the loop runs nothing. */
  stall(ms: number): void {
    this.#now += ms;
  }

  /** Input that arrives now and waits in the socket until the next poll phase. */
  arrive(handler: () => void): void {
    this.#inputs.push(handler);
  }

  /** One loop iteration: the due timers, then the queued input; promise callbacks run after each, as in Node. */
  async turn(): Promise<void> {
    const due = this.#timers.filter((t) => !t.cancelled && t.due <= this.#now).sort((a, b) => a.due - b.due || a.seq - b.seq);
    this.#timers = this.#timers.filter((t) => !due.includes(t) && !t.cancelled);
    for (const timer of due) {
      if (timer.cancelled) continue;
      timer.fn();
      await microtasks();
    }
    for (const input of this.#inputs.splice(0)) {
      input();
      await microtasks();
    }
  }

  /** Run on time for `ms`: a turn at every millisecond (an idle loop). */
  async runFor(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) {
      this.#now++;
      await this.turn();
    }
  }
}
