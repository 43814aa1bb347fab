import { ContainerModule, type ContainerModuleLoadOptions } from "inversify";
import type { ConfigSection } from "../config/config-section.js";
import { ConfigSectionToken } from "../tokens.js";

/** What a plugin is made of: a name, the config it owns, and the bindings it makes. */
export interface PluginDefinition {
  /** The package name, e.g. `@cachecluster/discovery-gce`. */
  readonly name: string;
  /** Config sections and keys the plugin owns (`[match]`, `[cluster] heartbeat`, ...). */
  readonly config?: readonly ConfigSection[];
  /** Binds the plugin's services, e.g. `bind(DiscoveryToken).toResolvedValue(...)`. */
  load(options: ContainerModuleLoadOptions): void | Promise<void>;
}

/**
 * An inversify `ContainerModule` that also declares the config the plugin owns. Load it on a container like any
 * module (`container.load(plugin)`), or give it to `createCacheCluster` / `loadConfig`: its declarations are bound
 * to `ConfigSectionToken`, and the cluster checks the whole config against all of them before it builds anything.
 */
export class CacheClusterPlugin extends ContainerModule {
  readonly name: string;
  readonly config: readonly ConfigSection[];

  constructor(definition: PluginDefinition) {
    const config = [...(definition.config ?? [])];
    super((options) => {
      for (const section of config) options.bind(ConfigSectionToken).toConstantValue(section);
      return definition.load(options);
    });
    this.name = definition.name;
    this.config = config;
  }
}

/** Defines a plugin; see `PluginDefinition`. */
export function definePlugin(definition: PluginDefinition): CacheClusterPlugin {
  return new CacheClusterPlugin(definition);
}

/** The config declarations of plugins, modules and declarations given together. */
export function configOf(items: readonly (ContainerModule | ConfigSection)[]): ConfigSection[] {
  return items.flatMap((item) => (item instanceof CacheClusterPlugin ? item.config : item instanceof ContainerModule ? [] : [item]));
}
