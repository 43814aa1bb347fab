// GCE's VPC firewall rendered as nftables rules inside each VM's namespace. GCE's model: the rules that apply to
// a VM (target tags, or none = every VM) are evaluated by priority (lowest number first) in their direction,
// and the first rule whose protocol, port and peer match decides; an ingress source matches by range or by being
// an instance with one of the rule's source tags, an egress destination by range; ingress nothing allows is
// denied, egress nothing denies is allowed, and the answers of allowed connections flow back (stateful, also
// for UDP: a datagram from B:p to A:q passes A's ingress once A sent one from q to p). Tags are resolved to
// addresses every time the rules are rendered, so a VM created later is covered as on GCE.
import { FleetError } from "./errors.js";

export interface FirewallAllowed {
  readonly protocol: "tcp" | "udp" | "icmp" | "all";
  /** Ports and ranges such as `9080` or `9080-9087`; empty: every port. */
  readonly ports: readonly string[];
}

export interface FirewallRule {
  readonly name: string;
  readonly direction: "INGRESS" | "EGRESS";
  readonly action: "ALLOW" | "DENY";
  /** Lower wins; default 1000. */
  readonly priority: number;
  readonly rules: readonly FirewallAllowed[];
  readonly sourceRanges: readonly string[];
  readonly sourceTags: readonly string[];
  /** EGRESS rules: where the packets go. */
  readonly destinationRanges: readonly string[];
  readonly targetTags: readonly string[];
}

/** Parses gcloud's `--rules` value, e.g. `tcp:7946-7953,udp:7946-7953` or `all`. */
export function parseFirewallRules(text: string): FirewallAllowed[] {
  const byProtocol = new Map<FirewallAllowed["protocol"], string[]>();
  for (const part of text.split(",").map((p) => p.trim())) {
    const [protocol = "", port] = part.split(":");
    if (protocol !== "tcp" && protocol !== "udp" && protocol !== "icmp" && protocol !== "all") {
      throw new FleetError(`firewall rules: expected tcp, udp, icmp or all in "${part}", got "${protocol}"`);
    }
    if (port !== undefined && !/^\d+(-\d+)?$/.test(port)) throw new FleetError(`firewall rules: expected a port or a range in "${part}"`);
    const ports = byProtocol.get(protocol) ?? [];
    if (port !== undefined) ports.push(port);
    byProtocol.set(protocol, ports);
  }
  return [...byProtocol].map(([protocol, ports]) => ({ protocol, ports }));
}

/** Comments of the accounting rules: packets that arrived from the network, per protocol. */
export const UDP_IN = "udp from the network";
export const TCP_IN = "tcp from the network";

/** Packets each rule matched, by the rule's comment (rule name, or UDP_IN / TCP_IN), from `nft -j list table inet gce`. */
export function nftCounters(json: string): Record<string, number> {
  const out: Record<string, number> = {};
  const parsed = JSON.parse(json) as { nftables?: { rule?: { comment?: string; expr?: { counter?: { packets?: number } }[] } }[] };
  for (const item of parsed.nftables ?? []) {
    const rule = item.rule;
    if (rule?.comment === undefined) continue;
    const packets = rule.expr?.find((e) => e.counter !== undefined)?.counter?.packets ?? 0;
    out[rule.comment] = (out[rule.comment] ?? 0) + packets;
  }
  return out;
}

export interface FirewallTarget {
  readonly tags: readonly string[];
}

/** Whether `rule` applies to an instance with these tags. */
export function appliesTo(rule: FirewallRule, target: FirewallTarget): boolean {
  return rule.targetTags.length === 0 || rule.targetTags.some((t) => target.tags.includes(t));
}

function renderRule(rule: FirewallRule, peer: string, lines: string[]): void {
  const verdict = rule.action === "ALLOW" ? "accept" : "drop";
  for (const allowed of rule.rules) {
    const comment = ` comment "${rule.name}"`;
    if (allowed.protocol === "all") lines.push(`    ${peer} counter ${verdict}${comment}`);
    else if (allowed.protocol === "icmp") lines.push(`    ${peer} meta l4proto icmp counter ${verdict}${comment}`);
    else if (allowed.ports.length === 0) lines.push(`    ${peer} meta l4proto ${allowed.protocol} counter ${verdict}${comment}`);
    else lines.push(`    ${peer} ${allowed.protocol} dport { ${allowed.ports.join(", ")} } counter ${verdict}${comment}`);
  }
}

/**
 * The nftables ruleset (a complete `nft -f` input that replaces table `inet gce`) for one VM.
 * `sources(rule)`: the addresses and CIDRs an ingress rule's sources stand for now.
 */
export function renderNftRuleset(
  target: FirewallTarget,
  rules: readonly FirewallRule[],
  sources: (rule: FirewallRule) => readonly string[],
  /** Addresses let in whatever the rules say (the simulator's operator). */
  trusted: readonly string[] = [],
): string {
  const lines = [
    "table inet gce",
    "delete table inet gce",
    "table inet gce {",
    "  chain ingress {",
    "    type filter hook input priority 0; policy drop;",
    // Accounting only (no verdict): what arrives from the network, whatever the rules decide.
    `    iif "eth0" meta l4proto udp counter comment "${UDP_IN}"`,
    `    iif "eth0" meta l4proto tcp counter comment "${TCP_IN}"`,
    '    iif "lo" accept',
    "    ct state established,related accept",
    ...(trusted.length > 0 ? [`    ip saddr { ${trusted.join(", ")} } accept comment "operator"`] : []),
  ];
  const ordered = rules.filter((r) => appliesTo(r, target)).sort((a, b) => a.priority - b.priority);
  for (const rule of ordered.filter((r) => r.direction === "INGRESS")) {
    const from = sources(rule);
    if (from.length > 0) renderRule(rule, `ip saddr { ${from.join(", ")} }`, lines);
  }
  lines.push(
    "  }",
    "  chain egress {",
    "    type filter hook output priority 0; policy accept;",
    '    oif "lo" accept',
    "    ct state established,related accept",
  );
  if (trusted.length > 0) lines.push(`    ip daddr { ${trusted.join(", ")} } accept comment "operator"`);
  for (const rule of ordered.filter((r) => r.direction === "EGRESS")) {
    renderRule(rule, rule.destinationRanges.length > 0 ? `ip daddr { ${rule.destinationRanges.join(", ")} }` : "meta nfproto ipv4", lines);
  }
  lines.push("  }", "}", "");
  return lines.join("\n");
}
