// Wiring on a plain inversify Container: bind core, load the plugin modules, bind your own services
// (here a logger and a store factory with golang's accounting), let core fill in the rest, resolve.
//   node examples/dist/inversify-container/main.js
import "reflect-metadata";
import { Container } from "inversify";
import { bindCore, bindDefaults, loadConfig, LruStore, resolveCluster, StoreFactoryToken } from "@cachecluster/core";
import { gceDiscovery } from "@cachecluster/discovery-gce";
import { swimMembership } from "@cachecluster/membership-swim";
import { httpTransport } from "@cachecluster/transport-http";
import { consoleLogger } from "../shared/console-logger.js";

const container = new Container({ defaultScope: "Singleton" });
const logger = consoleLogger("[cache] ");
bindCore(container, await loadConfig(), logger); // config (./cachecluster.ini if present + env) and logger
await container.loadAsync(gceDiscovery(), swimMembership(), httpTransport());
// Your own binding wins over core's default: count key + value bytes only, as golang/groupcache does.
container.bind(StoreFactoryToken).toConstantValue((options) => new LruStore({ maxBytes: options.maxBytes, entryOverhead: 0 }));
bindDefaults(container); // LruStore, DirectMembership, StaticDiscovery(CACHECLUSTER_PEERS) only where nothing is bound
const cluster = resolveCluster(container);

const pages = cluster.group("pages", { load: (path) => `<h1>${path}</h1>` });
const { url } = await cluster.listen();
cluster.closeOnSignals({ logger });
logger.info(`peer server ${url}; status ${cluster.adminUrl}/_cachecluster/status`);
logger.info(`home page from the cluster: ${await pages.getString("/")}`);
