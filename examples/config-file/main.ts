// Wiring from a config file: cachecluster.ini + environment overrides, and the three plugins with their
// defaults. On GCE this finds the other instances tagged `cachecluster` with metadata service=thumbs.
//   node examples/dist/config-file/main.js [path/to/cachecluster.ini]
import { fileURLToPath } from "node:url";
import { createCacheCluster, loadConfig } from "@cachecluster/core";
import { gceDiscovery } from "@cachecluster/discovery-gce";
import { swimMembership } from "@cachecluster/membership-swim";
import { httpTransport } from "@cachecluster/transport-http";
import { appServer } from "../shared/app-server.js";
import { consoleLogger } from "../shared/console-logger.js";

const file = process.argv[2] ?? fileURLToPath(new URL("../../config-file/cachecluster.ini", import.meta.url));
const plugins = [gceDiscovery(), swimMembership(), httpTransport()];
const config = await loadConfig(file, { plugins }); // every section checked: a bad value names file, line, section and key
const logger = consoleLogger();
const cluster = await createCacheCluster(config, plugins, { logger });

const thumbs = cluster.group("thumbs", {
  load: async (key, { signal }) => {
    await new Promise((resolve) => setTimeout(resolve, 50)); // stands for the expensive work
    signal.throwIfAborted();
    return `thumbnail of ${key}, rendered by ${cluster.local.name}`;
  },
});

const { url } = await cluster.listen();
const app = appServer({ thumbs }).listen(Number(process.env.APP_PORT ?? 8080));
cluster.closeOnSignals({ beforeClose: () => new Promise<void>((resolve) => app.close(() => resolve())), logger });
logger.info(`peer server ${url}, status page ${cluster.adminUrl}/_cachecluster/status, app on :${process.env.APP_PORT ?? 8080}`);
