import { runSync } from "./commands.js";

/**
 * Whether this process can run a fleet: root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) to make namespaces and
 * mounts, and the tools (iproute2, nftables, util-linux, curl, bash). The reason names what is missing.
 */
export function namespaceAvailable(): { ok: true } | { ok: false; reason: string } {
  const missing = ["ip", "nft", "nsenter", "unshare", "setpriv", "prlimit", "curl", "bash"].filter(
    (tool) => runSync("sh", ["-c", `command -v ${tool}`]) === undefined,
  );
  if (missing.length > 0) return { ok: false, reason: `missing tools: ${missing.join(", ")} (run scripts/setup.sh)` };
  const probe = `ccfleet-${process.pid}-probe`;
  if (runSync("ip", ["netns", "add", probe]) === undefined) return { ok: false, reason: "cannot create network namespaces (needs root or CAP_NET_ADMIN)" };
  runSync("ip", ["netns", "del", probe]);
  return { ok: true };
}
