import { type CacheClusterConfig, type CacheClusterPlugin, ConfigToken, DiscoveryToken, type Logger, LoggerToken, definePlugin } from "@cachecluster/core";
import { matchSection, metaSection } from "./config-sections.js";
import { GceDiscovery, type GceDiscoveryDeps } from "./gce-discovery.js";
import { type GceDiscoveryOptionsInput, parseGceDiscoveryOptions, resolveGceDiscoveryOptions } from "./options.js";

/**
 * The discovery-gce plugin: binds core's `DiscoveryToken` to a {@link GceDiscovery} whose options are `options`
 * over the config's `[match]` and `[meta]` sections, which this plugin declares. The options are validated now
 * (a `ConfigError` names the bad one), the sections with the rest of the config. `deps` substitutes the API
 * clients (tests).
 */
export function gceDiscovery(options: GceDiscoveryOptionsInput = {}, deps: Omit<GceDiscoveryDeps, "options" | "logger"> = {}): CacheClusterPlugin {
  parseGceDiscoveryOptions(options);
  return definePlugin({
    name: "@cachecluster/discovery-gce",
    config: [matchSection, metaSection],
    load: ({ bind }) => {
      bind(DiscoveryToken)
        .toResolvedValue(
          (config: CacheClusterConfig, logger: Logger) => new GceDiscovery({ ...deps, options: resolveGceDiscoveryOptions(options, config), logger }),
          [ConfigToken, LoggerToken],
        )
        .inSingletonScope();
    },
  });
}
