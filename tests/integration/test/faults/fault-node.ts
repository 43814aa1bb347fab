// One cachecluster node for the fault tests, run in its own process (forked by cluster-harness.ts, possibly
// inside a network namespace). Real plugins: SWIM over UDP/TCP, the HTTP transport, and GCE discovery against
// the fake GCE or a static seed list. It drives its own read load (application code calling group.get) and
// answers the harness over IPC. Configuration: JSON in the environment variable FAULT_NODE_CONFIG.
import { createCacheCluster, staticDiscovery, type ClusterStatus } from "@cachecluster/core";
import { gceDiscovery, type GceDiscovery } from "@cachecluster/discovery-gce";
import { swimMembership, type SwimMembership, type SwimOptionsInput } from "@cachecluster/membership-swim";
import { httpTransport, type HttpTransport } from "@cachecluster/transport-http";
import type { ContainerModule } from "inversify";
import { expectedValue, type LoadReport, type NodeCommand, type NodeConfig, type NodeReply, type NodeSnapshot } from "./protocol.js";

const config = JSON.parse(process.env.FAULT_NODE_CONFIG ?? "{}") as NodeConfig;

const modules: ContainerModule[] = [];
if (config.discovery.kind === "gce") {
  // The Google client loads in discovery's worker thread: nothing to load here before the node joins.
  modules.push(
    gceDiscovery({
      apiEndpoint: "127.0.0.1",
      port: config.discovery.computePort,
      protocol: "http",
      tags: [config.discovery.tag],
      refreshMs: config.discovery.refreshMs,
      jitter: 0.1,
      backoffBaseMs: config.discovery.backoffMs,
      backoffCapMs: config.discovery.backoffMs * 4,
      requestTimeoutMs: config.discovery.requestTimeoutMs,
    }),
  );
} else {
  modules.push(staticDiscovery(config.discovery.seeds));
}
const swim: SwimOptionsInput = { probeIntervalMs: config.heartbeatMs, ...(config.swim ?? {}) };
modules.push(swimMembership(swim), httpTransport({ timeout: config.peerTimeoutMs, connectTimeout: Math.min(config.peerTimeoutMs, 1000) }));

const cluster = await createCacheCluster(
  {
    cache: { host: config.ip, port: config.cachePort, timeout: config.peerTimeoutMs },
    admin: { host: config.ip, port: 0 },
    cluster: { host: config.ip, advertise: config.ip, port: config.clusterPort, heartbeat: config.heartbeatMs, name: config.name },
  },
  modules,
);

let loads = 0;
const group = cluster.group("faults", {
  maxBytes: 16 << 20,
  load: async (key, { signal }) => {
    loads++;
    if (config.loadDelayMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, config.loadDelayMs);
        signal.addEventListener(
          "abort",
          () => {
            clearTimeout(timer);
            reject(new Error("load aborted"));
          },
          { once: true },
        );
      });
    }
    return expectedValue(key);
  },
});

const { url } = await cluster.listen();

// ---- read load driven from inside the node -------------------------------------------------------------

let load: { stop: boolean; report: LoadReport; running: Promise<void> } | undefined;

function startLoad(keys: number, concurrency: number, prefix: string): void {
  const report: LoadReport = { ok: 0, failed: 0, wrong: 0, failures: [], maxMs: 0 };
  const state = { stop: false, report, running: Promise.resolve() };
  const worker = async (w: number): Promise<void> => {
    let i = w;
    while (!state.stop) {
      // Fresh keys keep coming (i grows), so peer fetches and loads stay in flight all the time.
      const key = `${prefix}-${i % keys}`;
      i += concurrency;
      const started = performance.now();
      try {
        const value = await group.getString(key);
        if (value === expectedValue(key)) report.ok++;
        else {
          report.wrong++;
          if (report.failures.length < 5) report.failures.push(`${key}: wrong value ${JSON.stringify(value.slice(0, 40))}`);
        }
      } catch (error) {
        report.failed++;
        if (report.failures.length < 5) report.failures.push(`${key}: ${error instanceof Error ? error.message : String(error)}`);
      }
      report.maxMs = Math.max(report.maxMs, performance.now() - started);
      // Yield so IPC and the protocol timers keep running between cache hits.
      await new Promise((r) => setImmediate(r));
    }
  };
  state.running = Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w))).then(() => undefined);
  load = state;
}

function snapshot(): NodeSnapshot {
  const membership = cluster.membership as SwimMembership;
  const transport = cluster.transport as HttpTransport | undefined;
  const discovery = cluster.discovery as GceDiscovery | undefined;
  const discoveryStats = typeof discovery?.stats === "function" ? discovery.stats() : undefined;
  const status: ClusterStatus = cluster.status();
  return {
    name: config.name,
    url,
    pid: process.pid,
    members: cluster.members().map((m) => ({ id: m.id, state: m.state, incarnation: m.incarnation, cacheUrl: m.cacheUrl })),
    allMembers: membership.allMembers().map((m) => ({ id: m.id, state: m.state, incarnation: m.incarnation, cacheUrl: m.cacheUrl })),
    ring: [...cluster.ring.peers],
    events: cluster.events().map((e) => ({ type: e.type, id: e.member.id, state: e.member.state, incarnation: e.member.incarnation, at: e.at })),
    group: { ...group.stats },
    loads,
    swim: { ...membership.stats() },
    transport: transport === undefined ? {} : { ...transport.serverStats, protocolErrors: transport.protocolErrors },
    discovery:
      discoveryStats === undefined
        ? {}
        : {
            refreshes: discoveryStats.refreshes,
            failures: discoveryStats.failures,
            consecutiveFailures: discoveryStats.consecutiveFailures,
            apiCalls: discoveryStats.apiCalls,
          },
    discoveredPeers: discovery === undefined ? [] : discovery.peers().map((p) => p.host),
    mode: status.mode,
  };
}

const reply = (message: NodeReply): void => {
  process.send?.(message);
};

process.on("message", (raw: NodeCommand) => {
  void (async () => {
    try {
      switch (raw.cmd) {
        case "snapshot":
          reply({ id: raw.id, ok: true, value: snapshot() });
          return;
        case "load-start":
          if (load !== undefined) throw new Error("a load is running already");
          startLoad(raw.keys, raw.concurrency, raw.prefix);
          reply({ id: raw.id, ok: true, value: null });
          return;
        case "load-stop": {
          const running = load;
          if (running === undefined) throw new Error("no load is running");
          running.stop = true;
          await running.running;
          load = undefined;
          reply({ id: raw.id, ok: true, value: running.report });
          return;
        }
        case "get": {
          const value = await group.getString(raw.key);
          reply({ id: raw.id, ok: true, value });
          return;
        }
        case "close":
          await cluster.close({ leaveTimeoutMs: 500 });
          reply({ id: raw.id, ok: true, value: null });
          process.exit(0);
      }
    } catch (error) {
      reply({ id: raw.id, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  })();
});
process.on("disconnect", () => process.exit(0));

reply({ id: 0, ok: true, value: { ready: true, url, name: config.name } });
