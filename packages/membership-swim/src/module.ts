import {
  ConfigToken,
  LoggerToken,
  MembershipToken,
  definePlugin,
  parseOptions,
  type CacheClusterConfig,
  type CacheClusterPlugin,
  type Logger,
} from "@cachecluster/core";
import { swimClusterKeys } from "./cluster-keys.js";
import { swimOptions, type SwimOptionsInput } from "./options.js";
import { SwimMembership, type SwimMembershipDeps } from "./swim-membership.js";

/** Injectable parts for simulations: a network, a clock and a PRNG (default real UDP/TCP, system clock, Math.random). */
export type SwimRuntime = Pick<SwimMembershipDeps, "network" | "clock" | "random">;

/**
 * The membership-swim plugin: binds core's `MembershipToken` to a `SwimMembership`, configured by `options` over
 * the `[cluster]` section (core's port, host, name, advertise, and this plugin's heartbeat and secret_keys).
 * Options are checked now (a `ConfigError` names each bad one).
 */
export function swimMembership(options: SwimOptionsInput = {}, runtime: SwimRuntime = {}): CacheClusterPlugin {
  parseOptions(swimOptions, options, "swimMembership options");
  return definePlugin({
    name: "@cachecluster/membership-swim",
    config: [swimClusterKeys],
    load: ({ bind }) => {
      bind(MembershipToken)
        .toResolvedValue(
          (config: CacheClusterConfig, logger: Logger) =>
            new SwimMembership(options, { cluster: { ...config.cluster, ...config.section(swimClusterKeys) }, logger, ...runtime }),
          [ConfigToken, LoggerToken],
        )
        .inSingletonScope();
    },
  });
}
