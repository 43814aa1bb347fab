import { type CacheClusterConfig, type CacheClusterPlugin, ConfigToken, type Logger, LoggerToken, TransportToken, definePlugin } from "@cachecluster/core";
import { optionsFromConfig, transportCacheKeys } from "./config-keys.js";
import { HttpTransport } from "./http-transport.js";
import { type HttpTransportOptionsInput, parseHttpTransportOptions } from "./options.js";

/**
 * The transport-http plugin: binds `TransportToken` to an `HttpTransport`. Options are checked now; those left
 * out come from the config: `timeout` from `[cache] timeout`, and the `[cache]` keys this plugin declares
 * (`secret_keys`, `max_set_bytes`, `max_concurrent_sets`).
 */
export function httpTransport(options: HttpTransportOptionsInput = {}): CacheClusterPlugin {
  parseHttpTransportOptions(options);
  return definePlugin({
    name: "@cachecluster/transport-http",
    config: [transportCacheKeys],
    load: ({ bind }) => {
      bind(TransportToken)
        .toResolvedValue(
          (config: CacheClusterConfig, logger: Logger) => new HttpTransport(optionsFromConfig(config, options), { logger }),
          [ConfigToken, LoggerToken],
        )
        .inSingletonScope();
    },
  });
}
