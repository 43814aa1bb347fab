// The fleet's private network: a "VPC" namespace holding one bridge, and one namespace per host (the fake GCE,
// the load balancer, each VM) plugged into it with a veth pair. Addresses (10.128.0.0/20 by default) exist only
// inside these namespaces; no namespace gets a default route or any link to the host's network. Every name
// starts with `ccfleet-<pid>`, and everything is deleted by `destroy()` or, at the latest, on process exit.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ip, run, runSync } from "./commands.js";
import { FleetError } from "./errors.js";
import { onTeardown } from "./teardown.js";

/** `ccfleet-<pid>`: the prefix of every namespace and directory a fleet of this process creates. */
export function fleetPrefix(pid = process.pid): string {
  return `ccfleet-${pid}`;
}

const PREFIX_RE = /^ccfleet-(\d+)-/;

/** Names of the network namespaces that exist now. */
export function listNamespaces(): string[] {
  return (runSync("ip", ["netns", "list"]) ?? "")
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name !== "");
}

/** Pids of the processes in a network namespace. */
export function namespacePids(name: string): number[] {
  return (runSync("ip", ["netns", "pids", name]) ?? "")
    .split("\n")
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function killNamespace(name: string): void {
  for (const pid of namespacePids(name)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}

/**
 * Deletes what fleets of processes that no longer exist left behind (a simulator killed with SIGKILL cannot
 * clean up): their namespaces, the processes still in them, and their state directories. Returns the names.
 */
export function reapStaleFleets(): string[] {
  const reaped: string[] = [];
  for (const name of listNamespaces()) {
    const pid = Number(PREFIX_RE.exec(name)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || alive(pid)) continue;
    killNamespace(name);
    runSync("ip", ["netns", "del", name]);
    reaped.push(name);
  }
  for (const entry of existsSync(tmpdir()) ? readdirSync(tmpdir()) : []) {
    const pid = Number(/^ccfleet-(\d+)$/.exec(entry)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || alive(pid)) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    reaped.push(entry);
  }
  return reaped;
}

export interface FleetNetworkOptions {
  /** Default `ccfleet-<pid>`. */
  readonly prefix?: string;
  /** Prefix length of the subnet every host is on (default 20, GCE's default subnet size). */
  readonly prefixLength?: number;
  /** Default 1460, as on GCE. */
  readonly mtu?: number;
}

interface Host {
  readonly ns: string;
  readonly ip: string;
  /** The veth end in the VPC namespace. */
  readonly port: string;
}

export class FleetNetwork {
  readonly prefix: string;
  /** The namespace holding the bridge. */
  readonly vpc: string;
  readonly prefixLength: number;
  readonly mtu: number;
  readonly #hosts = new Map<string, Host>();
  readonly #namespaces: string[] = [];
  #nextPort = 0;
  #destroyed = false;
  readonly #removeTeardown: () => void;

  private constructor(options: FleetNetworkOptions) {
    this.prefix = options.prefix ?? fleetPrefix();
    this.vpc = `${this.prefix}-vpc`;
    this.prefixLength = options.prefixLength ?? 20;
    this.mtu = options.mtu ?? 1460;
    this.#removeTeardown = onTeardown(() => this.destroySync());
  }

  /** Creates the VPC namespace and its bridge (needs root or CAP_NET_ADMIN, and iproute2). */
  static async create(options: FleetNetworkOptions = {}): Promise<FleetNetwork> {
    const network = new FleetNetwork(options);
    try {
      await network.#addNamespace(network.vpc);
      await ip("-n", network.vpc, "link", "add", "br0", "type", "bridge");
      await ip("-n", network.vpc, "link", "set", "br0", "up");
    } catch (error) {
      network.destroySync();
      throw error;
    }
    return network;
  }

  async #addNamespace(name: string): Promise<void> {
    if (this.#destroyed) throw new FleetError(`the network ${this.prefix} was destroyed`);
    await ip("netns", "add", name);
    this.#namespaces.push(name);
    // IPv4 only, as a GCE VPC subnet by default.
    await run("ip", ["netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
    await ip("-n", name, "link", "set", "lo", "up");
  }

  /** The namespace name of host `name`. */
  nsOf(name: string): string {
    return `${this.prefix}-${name}`;
  }

  /** Creates namespace `<prefix>-<name>` with `eth0` at `address` on the bridge; returns the namespace name. */
  async addHost(name: string, address: string): Promise<string> {
    const ns = this.nsOf(name);
    if (this.#hosts.has(ns)) throw new FleetError(`host ${name} exists already`);
    const port = `p${this.#nextPort++}`;
    await this.#addNamespace(ns);
    await ip("link", "add", port, "netns", this.vpc, "mtu", String(this.mtu), "type", "veth", "peer", "name", "eth0", "netns", ns, "mtu", String(this.mtu));
    await ip("-n", this.vpc, "link", "set", port, "master", "br0");
    await ip("-n", this.vpc, "link", "set", port, "up");
    await ip("-n", ns, "addr", "add", `${address}/${this.prefixLength}`, "dev", "eth0");
    await ip("-n", ns, "link", "set", "eth0", "up");
    this.#hosts.set(ns, { ns, ip: address, port });
    return ns;
  }

  /** Gives a host a second address on the subnet. */
  async addAddress(ns: string, address: string): Promise<void> {
    this.#host(ns);
    await ip("-n", ns, "addr", "add", `${address}/${this.prefixLength}`, "dev", "eth0");
  }

  #host(ns: string): Host {
    const host = this.#hosts.get(ns);
    if (host === undefined) throw new FleetError(`no host ${ns} on ${this.prefix}`);
    return host;
  }

  /** Unplugs a host from the bridge (its packets vanish, as in a zone outage), or plugs it back. */
  async setPlugged(ns: string, plugged: boolean): Promise<void> {
    await ip("-n", this.vpc, "link", "set", this.#host(ns).port, plugged ? "up" : "down");
  }

  /** SIGKILLs every process in a host's namespace. */
  killAll(ns: string): void {
    killNamespace(ns);
  }

  /** Kills what still runs in the host's namespace and deletes it (its veth pair goes with it). */
  async removeHost(ns: string): Promise<void> {
    this.#host(ns);
    killNamespace(ns);
    this.#hosts.delete(ns);
    await ip("netns", "del", ns);
    const i = this.#namespaces.indexOf(ns);
    if (i !== -1) this.#namespaces.splice(i, 1);
  }

  /** Runs a command inside a host's namespace. */
  exec(ns: string, command: string, args: readonly string[], input?: string): Promise<string> {
    return run("ip", ["netns", "exec", ns, command, ...args], input === undefined ? {} : { input });
  }

  /** Namespaces this network has now (the VPC first). */
  namespaces(): readonly string[] {
    return [...this.#namespaces];
  }

  /**
   * Each namespace's routes (`ip route show table all`, local and broadcast routes left out), whether it has a
   * default route, and the kernel's answer to a route lookup for an address outside the subnet (a lookup sends
   * no packet).
   */
  async routes(): Promise<{ ns: string; routes: string[]; hasDefault: boolean; outside: string }[]> {
    return Promise.all(
      this.#namespaces.map(async (ns) => {
        const table = await ip("-n", ns, "route", "show", "table", "all");
        const routes = table
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => l !== "" && !/^(local|broadcast|multicast|anycast) /.test(l) && !/ table local /.test(` ${l} `));
        let outside: string;
        try {
          outside = (await ip("-n", ns, "route", "get", "8.8.8.8")).trim();
        } catch (error) {
          outside = error instanceof Error ? error.message : String(error);
        }
        return { ns, routes, hasDefault: routes.some((r) => r.startsWith("default")), outside };
      }),
    );
  }

  /** Deletes every namespace (killing what runs in them). Safe to call twice. */
  async destroy(): Promise<void> {
    this.destroySync();
  }

  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#removeTeardown();
    const all = this.#namespaces.splice(0).reverse();
    for (const ns of all) killNamespace(ns);
    for (const ns of all) runSync("ip", ["netns", "del", ns]);
    this.#hosts.clear();
  }
}
