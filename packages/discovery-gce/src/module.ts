import { type CacheClusterConfig, ConfigToken, DiscoveryToken, type Logger, LoggerToken } from "@cachecluster/core";
import { ContainerModule } from "inversify";
import { GceDiscovery, type GceDiscoveryDeps } from "./gce-discovery.js";
import { type GceDiscoveryOptionsInput, parseGceDiscoveryOptions, resolveGceDiscoveryOptions } from "./options.js";

/**
 * Binds core's `DiscoveryToken` to a {@link GceDiscovery} whose options are `options` over the core config's
 * `[match]` and `[meta]` sections. The options are validated now (a `ConfigError` names the bad one); the merge with
 * the config is validated when the container resolves discovery. `deps` substitutes the API clients (tests).
 */
export function gceDiscovery(options: GceDiscoveryOptionsInput = {}, deps: Omit<GceDiscoveryDeps, "options" | "logger"> = {}): ContainerModule {
  parseGceDiscoveryOptions(options);
  return new ContainerModule(({ bind }) => {
    bind(DiscoveryToken)
      .toResolvedValue(
        (config: CacheClusterConfig, logger: Logger) => new GceDiscovery({ ...deps, options: resolveGceDiscoveryOptions(options, config), logger }),
        [ConfigToken, LoggerToken],
      )
      .inSingletonScope();
  });
}
