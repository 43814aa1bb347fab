import { type CacheClusterConfig, type CacheClusterPlugin, ConfigToken, type Logger, LoggerToken, TransportToken, definePlugin } from "@cachecluster/core";
import { HttpTransport } from "./http-transport.js";
import { type HttpTransportOptionsInput, parseHttpTransportOptions } from "./options.js";

/**
 * The transport-http plugin: binds `TransportToken` to an `HttpTransport`. Options are checked now; `timeout`
 * defaults to the config's `[cache] timeout`.
 */
export function httpTransport(options: HttpTransportOptionsInput = {}): CacheClusterPlugin {
  parseHttpTransportOptions(options);
  return definePlugin({
    name: "@cachecluster/transport-http",
    load: ({ bind }) => {
      bind(TransportToken)
        .toResolvedValue(
          (config: CacheClusterConfig, logger: Logger) => new HttpTransport({ ...options, timeout: options.timeout ?? config.cache.timeout }, { logger }),
          [ConfigToken, LoggerToken],
        )
        .inSingletonScope();
    },
  });
}
