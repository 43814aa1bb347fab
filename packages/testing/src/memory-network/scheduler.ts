import type { Clock } from "@cachecluster/core";

interface Task {
  at: number;
  seq: number;
  fn: () => void;
  owner: string | undefined;
  cancelled: boolean;
}

/**
 * A deterministic discrete-event scheduler: virtual time only moves when `run*` is called, tasks run in
 * (time, insertion) order. Tasks can belong to an owner (a simulated host) that can be paused: its tasks
 * are held and run, in order, when it resumes (like a SIGSTOPped process).
 */
export class VirtualScheduler {
  #now: number;
  #seq = 0;
  readonly #heap: Task[] = [];
  readonly #paused = new Map<string, Task[]>();
  #executed = 0;

  constructor(startTime = 1_700_000_000_000) {
    this.#now = startTime;
  }

  now(): number {
    return this.#now;
  }

  /** Tasks run so far. */
  get executed(): number {
    return this.#executed;
  }

  /** Tasks waiting. */
  get pending(): number {
    return this.#heap.length;
  }

  schedule(fn: () => void, ms: number, owner?: string): unknown {
    const task: Task = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, owner, cancelled: false };
    this.#push(task);
    return task;
  }

  cancel(handle: unknown): void {
    if (typeof handle === "object" && handle !== null && "cancelled" in handle) (handle as Task).cancelled = true;
  }

  /** A clock whose timers belong to `owner` (paused with it). */
  clock(owner?: string): Clock {
    return {
      now: () => this.#now,
      setTimeout: (fn, ms) => this.schedule(fn, ms, owner),
      clearTimeout: (handle) => this.cancel(handle),
    };
  }

  pause(owner: string): void {
    if (!this.#paused.has(owner)) this.#paused.set(owner, []);
  }

  resume(owner: string): void {
    const held = this.#paused.get(owner);
    if (held === undefined) return;
    this.#paused.delete(owner);
    for (const task of held) if (!task.cancelled) this.schedule(task.fn, 0, owner);
  }

  isPaused(owner: string): boolean {
    return this.#paused.has(owner);
  }

  /** Drop every task of `owner` (a crashed host). */
  discard(owner: string): void {
    for (const task of this.#heap) if (task.owner === owner) task.cancelled = true;
    this.#paused.delete(owner);
  }

  /** Virtual time of the earliest task still to run, undefined when none is pending. */
  nextAt(): number | undefined {
    while (this.#heap[0]?.cancelled === true) this.#pop();
    return this.#heap[0]?.at;
  }

  /**
   * Run the earliest task now (synchronously), moving the clock to its time; false when none is pending.
   * A task of a paused owner is held, as `runUntil` holds it.
   */
  runNext(): boolean {
    for (;;) {
      const task = this.#heap[0];
      if (task === undefined) return false;
      this.#pop();
      if (task.cancelled) continue;
      this.#now = Math.max(this.#now, task.at);
      const held = task.owner === undefined ? undefined : this.#paused.get(task.owner);
      if (held !== undefined) {
        held.push(task);
        continue;
      }
      this.#executed++;
      task.fn();
      return true;
    }
  }

  /** Run every task due within the next `ms` of virtual time, then set the clock to now + ms. */
  async runFor(ms: number): Promise<void> {
    await this.runUntil(() => false, ms);
  }

  /**
   * Run tasks until `done()` holds (checked after each task, or at most every `checkEveryMs` of virtual
   * time) or `maxMs` of virtual time passed. Resolves with whether `done()` held.
   */
  async runUntil(done: () => boolean, maxMs: number, checkEveryMs = 0): Promise<boolean> {
    const end = this.#now + maxMs;
    let sinceYield = 0;
    let lastCheck = this.#now;
    if (done()) return true;
    for (;;) {
      const task = this.#heap[0];
      if (task === undefined || task.at > end) break;
      this.#pop();
      if (task.cancelled) continue;
      this.#now = task.at;
      if (task.owner !== undefined) {
        const held = this.#paused.get(task.owner);
        if (held !== undefined) {
          held.push(task);
          continue;
        }
      }
      this.#executed++;
      task.fn();
      // let promise continuations of this task run at its virtual time
      await Promise.resolve();
      await Promise.resolve();
      if (++sinceYield >= 5000) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.#now - lastCheck >= checkEveryMs) {
        lastCheck = this.#now;
        if (done()) return true;
      }
    }
    this.#now = Math.max(this.#now, end);
    await new Promise((resolve) => setImmediate(resolve));
    return done();
  }

  /** Advance virtual time until `promise` settles (or `maxMs` passed: then it rejects). */
  async settle<T>(promise: Promise<T>, maxMs = 3_600_000): Promise<T> {
    let state: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    promise.then(
      (value) => {
        state = { ok: true, value };
      },
      (error: unknown) => {
        state = { ok: false, error };
      },
    );
    await this.runUntil(() => state !== undefined, maxMs);
    const settled = state as { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    if (settled === undefined) throw new Error(`the operation did not settle within ${maxMs} ms of virtual time`);
    if (!settled.ok) throw settled.error;
    return settled.value;
  }

  #push(task: Task): void {
    const heap = this.#heap;
    heap.push(task);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (before(p, task)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = task;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(heap[r]!, heap[l]!)) c = r;
      if (before(last, heap[c]!)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
}

function before(a: Task, b: Task): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
