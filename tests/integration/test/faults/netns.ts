// A private network made of Linux network namespaces for partition tests (needs root / CAP_NET_ADMIN and
// iproute2). One "switch" namespace holds two bridges, side-a and side-b, joined by a veth link; every node
// gets its own namespace with one interface (eth0) plugged into its side's bridge. Cutting the link between the
// bridges partitions the network; bringing it up heals it. Addresses (10.x) exist only inside these
// namespaces: no namespace has a route anywhere else. Every name carries the creator's pid, and `destroy()`
// (also run on process exit) deletes every namespace, which deletes their interfaces.
import { execFileSync } from "node:child_process";

export interface NamespaceNode {
  /** Namespace name, for `ip netns exec`. */
  readonly netns: string;
  readonly ip: string;
  readonly side: "a" | "b";
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
}

/** Whether this process may create network namespaces (root with iproute2). */
export function netnsAvailable(): { ok: true } | { ok: false; reason: string } {
  const probe = `ccprobe-${process.pid}`;
  try {
    ip("netns", "add", probe);
    ip("netns", "del", probe);
    return { ok: true };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, reason: stderr || (error instanceof Error ? error.message : String(error)) };
  }
}

export class PartitionNetwork {
  readonly nodes: readonly NamespaceNode[];
  readonly #switch: string;
  readonly #namespaces: string[] = [];
  #destroyed = false;
  readonly #onExit = (): void => this.destroy();

  /** `sides`: how many nodes on side a and on side b. Subnet 10.<subnet>.0.0/24, inside the namespaces only. */
  constructor(sideA: number, sideB: number, subnet = 231) {
    const tag = `${process.pid}`;
    this.#switch = `ccsw-${tag}`;
    process.on("exit", this.#onExit);
    try {
      this.#add(this.#switch);
      const sw = ["-n", this.#switch];
      ip(...sw, "link", "add", "side-a", "type", "bridge");
      ip(...sw, "link", "add", "side-b", "type", "bridge");
      ip(...sw, "link", "add", "link-a", "type", "veth", "peer", "name", "link-b");
      ip(...sw, "link", "set", "link-a", "master", "side-a");
      ip(...sw, "link", "set", "link-b", "master", "side-b");
      for (const dev of ["side-a", "side-b", "link-a", "link-b"]) ip(...sw, "link", "set", dev, "up");
      const nodes: NamespaceNode[] = [];
      for (let i = 0; i < sideA + sideB; i++) {
        const side = i < sideA ? "a" : "b";
        const netns = `ccn${i}-${tag}`;
        const address = `10.${subnet}.0.${11 + i}`;
        this.#add(netns);
        ip("link", "add", `port${i}`, "netns", this.#switch, "type", "veth", "peer", "name", "eth0", "netns", netns);
        ip(...sw, "link", "set", `port${i}`, "master", `side-${side}`);
        ip(...sw, "link", "set", `port${i}`, "up");
        ip("-n", netns, "addr", "add", `${address}/24`, "dev", "eth0");
        ip("-n", netns, "link", "set", "eth0", "up");
        ip("-n", netns, "link", "set", "lo", "up");
        nodes.push({ netns, ip: address, side });
      }
      this.nodes = nodes;
    } catch (error) {
      this.destroy();
      throw error;
    }
  }

  #add(name: string): void {
    ip("netns", "add", name);
    this.#namespaces.push(name);
  }

  /** Cut the link between the two sides. */
  partition(): void {
    ip("-n", this.#switch, "link", "set", "link-a", "down");
  }

  heal(): void {
    ip("-n", this.#switch, "link", "set", "link-a", "up");
  }

  /** Namespaces this network still has (for the cleanup check). */
  namespaces(): readonly string[] {
    return [...this.#namespaces];
  }

  /** Delete every namespace (and so every interface) this network created. Safe to call twice. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    process.off("exit", this.#onExit);
    for (const name of this.#namespaces.splice(0).reverse()) {
      try {
        ip("netns", "del", name);
      } catch {
        // already gone
      }
    }
  }
}

/** Names of the network namespaces that exist now. */
export function listNamespaces(): string[] {
  const out = execFileSync("ip", ["netns", "list"], { encoding: "utf8", timeout: 10_000 });
  return out
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((l) => l.length > 0);
}
