import type { ContainerModule } from "inversify";
import { type CacheCluster, createCacheCluster, type ListenOverrides } from "../src/index.js";
import { FakeHttpTransport, fakeHttpTransport } from "./status-fake-transport.js";

export interface TestNode {
  readonly cluster: CacheCluster;
  readonly transport: FakeHttpTransport;
  readonly url: string;
  /** The admin listener (status page, metrics, health checks). */
  readonly admin: string;
}

/** One node on loopback with the fake HTTP transport and core's DirectMembership (no gossip). */
export async function startNode(name: string, overrides: ListenOverrides = {}, modules: readonly ContainerModule[] = []): Promise<TestNode> {
  const transport = new FakeHttpTransport();
  const cluster = await createCacheCluster({ cache: { port: 0, host: "127.0.0.1" }, cluster: { name, advertise: "127.0.0.1" } }, [
    fakeHttpTransport(transport),
    ...modules,
  ]);
  const { url } = await cluster.listen(overrides);
  return { cluster, transport, url, admin: cluster.adminUrl ?? "" };
}

/** Tell each node about the others, as static discovery would (DirectMembership takes the list as it is). */
export async function connect(nodes: readonly TestNode[]): Promise<void> {
  for (const node of nodes) {
    const others = nodes.filter((n) => n !== node).map((n) => ({ host: "127.0.0.1", cacheUrl: n.url, name: n.cluster.local.name }));
    await node.cluster.membership.join(others);
  }
}

export async function closeAll(nodes: readonly TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.cluster.close()));
}

export async function getText(url: string, init: RequestInit = {}): Promise<{ status: number; type: string; body: string; headers: Headers }> {
  const res = await fetch(url, { ...init, redirect: "manual" });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text(), headers: res.headers };
}

/** Parses Prometheus text exposition into `name{labels}` → value, plus `# TYPE` lines. */
export function parseExposition(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      if (name !== undefined && type !== undefined) types.set(name, type);
      continue;
    }
    if (line.startsWith("#") || line.trim() === "") continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (m === null) throw new Error(`not an exposition line: ${JSON.stringify(line)}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return { samples, types };
}
