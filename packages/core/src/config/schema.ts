import { z } from "zod";
import { STORE_KINDS } from "../cache/store-kinds.js";
import { HOT_POLICY_KINDS } from "../engine/hot-policy.js";
import { configSection } from "./config-section.js";
import { boolean, byteSize, integer, milliseconds, port } from "./config-values.js";

const CORE = "@cachecluster/core";

/** Values of `[cache] invalidation`. */
export const INVALIDATION_MODES = ["auto", "gossip", "http"] as const;

/** `[cache]`: this node's cache server and groups. */
export const cacheSection = configSection("cache", CORE, {
  port: port.default(9080).describe("Peer HTTP port (0 picks a free one)."),
  host: z.string().min(1, { error: "expected an address to bind" }).default("0.0.0.0").describe("Address the peer HTTP server binds."),
  self: z
    .url({ error: "expected an absolute http(s) URL such as http://10.0.0.7:9080" })
    .optional()
    .describe("This node's cache base URL as peers reach it; default `http://{own IP}:{port}`."),
  replicas: integer(1, 10_000).default(50).describe("Virtual nodes per peer on the hash ring (golang/groupcache: 50)."),
  max_bytes: byteSize.default(64 * 1024 * 1024).describe("Default byte budget of a group (main + hot), e.g. `64MiB`."),
  store: z
    .enum(STORE_KINDS, { error: `expected one of ${STORE_KINDS.join(", ")}` })
    .default("lru")
    .describe(
      "Eviction of the groups' caches: `lru` (golang/groupcache's) or `tinylfu` (W-TinyLFU: admits by frequency, a higher hit ratio under skew and scans). A group's `store` option overrides it.",
    ),
  invalidation: z
    .enum(INVALIDATION_MODES, { error: `expected one of ${INVALIDATION_MODES.join(", ")}` })
    .default("auto")
    .describe(
      "How `remove`/`set` make the other nodes drop their hot copies: `gossip` (one message on the membership's gossip; needs a membership that can broadcast, such as membership-swim), `http` (one request to every peer), `auto` (gossip when the membership can, else http).",
    ),
  hot_policy: z
    .enum(HOT_POLICY_KINDS, { error: `expected one of ${HOT_POLICY_KINDS.join(", ")}` })
    .default("frequency")
    .describe(
      "Which values fetched from their owner a node also keeps in its hot cache: `one-in-10` (golang/groupcache's coin) or `frequency` (every value while the budget has room; then a key fetched twice lately and, once the hot cache is full, more often than its victim, counted by a TinyLFU sketch: popular remote keys become local, keys read once do not churn the hot cache). A group's `hotPolicy` option overrides it.",
    ),
  timeout: milliseconds().default(2000).describe("Peer fetch timeout in ms."),
  eject_after: integer(0, 1_000_000)
    .default(3)
    .describe("Consecutive failed fetches (timeouts, refused connections, 502-504) after which a peer is skipped and its keys load here; 0 never skips."),
  eject_time: milliseconds()
    .default(5000)
    .describe("How long a failing peer is first skipped, in ms; then one fetch probes it, and each failed probe doubles this, up to 60 s."),
});

/** `[cluster]`: this node's identity in the membership. Membership plugins add their own keys (`heartbeat`, ...). */
export const clusterSection = configSection("cluster", CORE, {
  port: port.default(9999).describe("Membership (SWIM) port: UDP, and TCP for state sync."),
  host: z.string().min(1, { error: "expected an address to bind" }).default("0.0.0.0").describe("Address the membership binds."),
  name: z.string().min(1, { error: "expected a non-empty name" }).optional().describe("Member name; default: host name + cache port."),
  advertise: z.string().min(1, { error: "expected an address" }).optional().describe("Address other members reach this one on; default: own IP."),
  join_timeout: milliseconds(0)
    .default(60_000)
    .describe(
      "ms a node with a discovery may take to join peers; past it, it logs once why it is still alone and `/readyz` reports ready in local mode. 0: never.",
    ),
});

/** The admin port when `[admin] port` is not set (and `[cache] port` is not 0). */
export const DEFAULT_ADMIN_PORT = 9081;

/** `[admin]`: the listener of the status page, `status.json`, `/metrics`, `/healthz` and `/readyz`, apart from the peer port. */
export const adminSection = configSection("admin", CORE, {
  enabled: boolean.default(true).describe("Serve the admin endpoints on their own listener; `false`: none (unless `on_peer_port`)."),
  host: z
    .string()
    .min(1, { error: "expected an address to bind" })
    .default("127.0.0.1")
    .describe("Address the admin listener binds: loopback by default, so only this host sees members, metrics and config."),
  port: port.optional().describe(`Admin port (0 picks a free one); default ${DEFAULT_ADMIN_PORT}, or a free one when \`[cache] port\` is 0.`),
  on_peer_port: boolean
    .default(false)
    .describe("Also serve the admin endpoints on the peer port, to whoever reaches it (as before `[admin]` existed). Explicit opt-in: they list every member."),
});

/** The sections core itself declares. */
export const coreSections = [cacheSection, clusterSection, adminSection] as const;

export type CacheSettings = z.output<typeof cacheSection.schema>;
export type ClusterSettings = z.output<typeof clusterSection.schema>;
export type AdminSettings = z.output<typeof adminSection.schema>;
