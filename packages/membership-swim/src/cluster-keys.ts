import { configSection, configValue } from "@cachecluster/core";
import { z } from "zod";

/** Base64 of a 16, 24 or 32 byte AES key. */
const secretKey = z.string().refine(
  (text) => {
    const n = Buffer.from(text, "base64").byteLength;
    return /^[A-Za-z0-9+/]+={0,2}$/.test(text) && (n === 16 || n === 24 || n === 32);
  },
  { error: "expected base64 of a 16, 24 or 32 byte key (openssl rand -base64 32)" },
);

/** The keys membership-swim owns in `[cluster]` (core owns port, host, name and advertise). */
export const swimClusterKeys = configSection(
  "cluster",
  "@cachecluster/membership-swim",
  {
    heartbeat: configValue.milliseconds().default(1000).describe("Protocol period (probe interval) in ms; memberlist's LAN default is 1000."),
    secret_keys: configValue
      .list(secretKey)
      .default([])
      .describe("Base64 AES keys (16/24/32 bytes), comma-separated; the first encrypts, all decrypt (rotation). Empty: no encryption."),
  },
  { sensitive: ["secret_keys"] },
);

export type SwimClusterKeys = z.output<typeof swimClusterKeys.schema>;

declare module "@cachecluster/core" {
  interface ClusterSectionInput {
    /** Protocol period in ms (membership-swim). */
    heartbeat?: number | string;
    /** Base64 AES keys, the first encrypts (membership-swim). */
    secret_keys?: string | readonly string[];
  }
}
