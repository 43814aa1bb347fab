import { NodeStateType } from "../wire/index.js";
import { isDeadOrLeft, type NodeState } from "./node-state.js";

/**
 * The members one node knows (memberlist's `nodes` slice and `nodeMap`), in a shuffled order that the
 * probe walks round-robin (util.go shuffleNodes, state.go probe/resetNodes); dead members stay listed
 * until they have been dead longer than gossipToTheDead, so the news of their death still spreads.
 */
export class NodeTable {
  readonly #random: () => number;
  readonly #nodes: NodeState[] = [];
  readonly #byName = new Map<string, NodeState>();
  #probeIndex = 0;
  #version = 0;

  constructor(random: () => number) {
    this.#random = random;
  }

  get size(): number {
    return this.#nodes.length;
  }

  /** Bumped on every change of a listed member or of the order, so an encoding of the table can be reused. */
  get version(): number {
    return this.#version;
  }

  /** Record a change made to a listed member in place. */
  changed(): void {
    this.#version++;
  }

  get(name: string): NodeState | undefined {
    return this.#byName.get(name);
  }

  /** Every member, in probe order (a live view: do not modify). */
  all(): readonly NodeState[] {
    return this.#nodes;
  }

  /** Add a new member at a random position, so it is probed within one round (state.go aliveNode). */
  add(node: NodeState): void {
    this.#byName.set(node.name, node);
    this.#version++;
    const n = this.#nodes.length;
    const offset = n === 0 ? 0 : Math.floor(this.#random() * n);
    this.#nodes.push(node);
    const swap = this.#nodes[offset]!;
    this.#nodes[offset] = node;
    this.#nodes[n] = swap;
  }

  /** Add members known from elsewhere (a converged view) that are not listed yet, then shuffle. */
  addAll(nodes: readonly NodeState[]): void {
    for (const node of nodes) {
      if (this.#byName.has(node.name)) continue;
      this.#byName.set(node.name, node);
      this.#nodes.push(node);
    }
    this.shuffle();
  }

  /**
   * The next member to probe, round-robin over the shuffled list, skipping `self` and dead or left members;
   * after a full round, reaps the long-dead and reshuffles. Undefined when there is no one to probe.
   */
  nextProbeTarget(self: string, now: number, gossipToTheDeadMs: number): NodeState | undefined {
    let numCheck = 0;
    for (;;) {
      if (numCheck >= this.#nodes.length) return undefined;
      if (this.#probeIndex >= this.#nodes.length) {
        this.#reap(now, gossipToTheDeadMs);
        this.#probeIndex = 0;
        numCheck++;
        continue;
      }
      const node = this.#nodes[this.#probeIndex]!;
      this.#probeIndex++;
      if (node.name === self || isDeadOrLeft(node)) {
        numCheck++;
        continue;
      }
      return node;
    }
  }

  /** memberlist's kRandomNodes: up to k distinct members not excluded, in at most 3n random draws. */
  kRandom(k: number, exclude: (node: NodeState) => boolean): NodeState[] {
    const nodes = this.#nodes;
    const n = nodes.length;
    const out: NodeState[] = [];
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const node = nodes[Math.floor(this.#random() * n)]!;
      if (exclude(node) || out.includes(node)) continue;
      out.push(node);
    }
    return out;
  }

  /** Whether any member other than `self` is alive or suspect. */
  anyLiveExcept(self: string): boolean {
    for (const node of this.#nodes) if (node.name !== self && !isDeadOrLeft(node)) return true;
    return false;
  }

  shuffle(): void {
    const nodes = this.#nodes;
    this.#version++;
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      const tmp = nodes[i]!;
      nodes[i] = nodes[j]!;
      nodes[j] = tmp;
    }
  }

  /** resetNodes: forget members dead for longer than gossipToTheDead, then reshuffle. */
  #reap(now: number, gossipToTheDeadMs: number): void {
    let write = 0;
    for (const node of this.#nodes) {
      if (node.state === NodeStateType.Dead && now - node.stateChange > gossipToTheDeadMs) {
        this.#byName.delete(node.name);
        continue;
      }
      this.#nodes[write++] = node;
    }
    this.#nodes.length = write;
    this.shuffle();
  }
}
