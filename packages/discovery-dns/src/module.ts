import { type CacheClusterConfig, type CacheClusterPlugin, ConfigToken, DiscoveryToken, type Logger, LoggerToken, definePlugin } from "@cachecluster/core";
import { OWNER, dnsSection } from "./config-section.js";
import { DnsDiscovery, type DnsDiscoveryDeps } from "./dns-discovery.js";
import { type DnsDiscoveryOptionsInput, checkDnsDiscoveryOptions, resolveDnsDiscoveryOptions } from "./options.js";

/**
 * The discovery-dns plugin: binds core's `DiscoveryToken` to a {@link DnsDiscovery} whose options are `options`
 * over the config's `[dns]` section, which this plugin declares. The options are checked now (a `ConfigError`
 * names the bad one), the section with the rest of the config; the name must come from one or the other.
 */
export function dnsDiscovery(options: Partial<DnsDiscoveryOptionsInput> = {}, deps: Omit<DnsDiscoveryDeps, "logger"> = {}): CacheClusterPlugin {
  checkDnsDiscoveryOptions(options);
  return definePlugin({
    name: OWNER,
    config: [dnsSection],
    load: ({ bind }) => {
      bind(DiscoveryToken)
        .toResolvedValue(
          (config: CacheClusterConfig, logger: Logger) => new DnsDiscovery(resolveDnsDiscoveryOptions(options, config), { ...deps, logger }),
          [ConfigToken, LoggerToken],
        )
        .inSingletonScope();
    },
  });
}
