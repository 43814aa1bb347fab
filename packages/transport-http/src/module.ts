import { type CacheClusterConfig, ConfigToken, type Logger, LoggerToken, TransportToken } from "@cachecluster/core";
import { ContainerModule } from "inversify";
import { HttpTransport } from "./http-transport.js";
import { type HttpTransportOptionsInput, parseHttpTransportOptions } from "./options.js";

/**
 * Binds `TransportToken` to an `HttpTransport`. Options are checked now; `timeout` defaults to the config's
 * `[cache] timeout`.
 */
export function httpTransport(options: HttpTransportOptionsInput = {}): ContainerModule {
  parseHttpTransportOptions(options);
  return new ContainerModule(({ bind }) => {
    bind(TransportToken)
      .toResolvedValue(
        (config: CacheClusterConfig, logger: Logger) => new HttpTransport({ ...options, timeout: options.timeout ?? config.cache.timeout }, { logger }),
        [ConfigToken, LoggerToken],
      )
      .inSingletonScope();
  });
}
