import { ConfigToken, LocalNodeToken, LoggerToken, MembershipToken, type CacheClusterConfig, type LocalNode, type Logger } from "@cachecluster/core";
import { ContainerModule } from "inversify";
import type { Clock, SwimNetwork } from "./net/network.js";
import { swimOptions, type SwimOptionsInput } from "./options.js";
import { SwimMembership } from "./swim-membership.js";

/** Injectable parts for simulations: a network, a clock and a PRNG (default real UDP/TCP, system clock, Math.random). */
export interface SwimRuntime {
  readonly network?: SwimNetwork;
  readonly clock?: Clock;
  readonly random?: () => number;
}

/**
 * Binds core's `MembershipToken` to a `SwimMembership`, configured by `options` over the `[cluster]`
 * config section (port, host, heartbeat, name, advertise, secret_keys). Options are checked now.
 */
export function swimMembership(options: SwimOptionsInput = {}, runtime: SwimRuntime = {}): ContainerModule {
  swimOptions.parse(options);
  return new ContainerModule(({ bind }) => {
    bind(MembershipToken)
      .toResolvedValue(
        (config: CacheClusterConfig, logger: Logger, local: LocalNode) => new SwimMembership(options, { local, cluster: config.cluster, logger, ...runtime }),
        [ConfigToken, LoggerToken, LocalNodeToken],
      )
      .inSingletonScope();
  });
}
