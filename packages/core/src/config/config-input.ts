import type { z } from "zod";
import type { adminSection, cacheSection, clusterSection } from "./schema.js";

/**
 * `[cache]` as given in code. Plugins that add keys to `[cache]` extend this interface by module augmentation:
 * `declare module "@cachecluster/core" { interface CacheSectionInput { my_key?: string } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, so plugins can extend it
export interface CacheSectionInput extends NonNullable<z.input<typeof cacheSection.schema>> {}

/** `[cluster]` as given in code; membership plugins extend it by module augmentation (`heartbeat`, `secret_keys`). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, so plugins can extend it
export interface ClusterSectionInput extends NonNullable<z.input<typeof clusterSection.schema>> {}

/**
 * The config object given in code: one property per section. Plugins add their sections by module
 * augmentation (`interface CacheClusterConfigInput { match?: MatchSectionInput }`); any other section is
 * accepted by the type and reported as unknown by validation.
 */
export interface CacheClusterConfigInput {
  readonly cache?: CacheSectionInput;
  readonly cluster?: ClusterSectionInput;
  readonly admin?: z.input<typeof adminSection.schema>;
  readonly [section: string]: object | undefined;
}
