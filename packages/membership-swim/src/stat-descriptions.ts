import type { StatDescription } from "@cachecluster/core";
import type { SwimMembershipStats } from "./swim-membership.js";

const counter = (help: string, extra: Partial<StatDescription> = {}): StatDescription => ({ type: "counter", help, ...extra });
const gauge = (help: string): StatDescription => ({ type: "gauge", help });

/** What each key of `SwimMembership.stats()` is, for the cluster's Prometheus metrics. */
export const SWIM_STAT_DESCRIPTIONS: Readonly<Record<keyof SwimMembershipStats, StatDescription>> = {
  packetsReceived: counter("UDP packets received."),
  packetsSent: counter("UDP packets sent."),
  bytesReceived: counter("Bytes received in UDP packets.", { unit: "bytes", name: "received" }),
  bytesSent: counter("Bytes sent in UDP packets.", { unit: "bytes", name: "sent" }),
  packetsDropped: counter("Packets dropped whole: undecodable, wrong key (encryption), unknown type."),
  decodeErrors: counter("Packets or messages (parts of a compound, stream messages) that did not decode."),
  messagesReceived: counter("Gossip messages received (the parts of compound packets counted one by one)."),
  probes: counter("Direct probes (pings) of members."),
  indirectProbes: counter("Indirect probes (ping-req through other members) after a direct probe got no ack."),
  probeFailures: counter("Probes that got no ack, directly, indirectly or over TCP."),
  udpProbeFailuresTotal: counter("Probes that got no UDP ack, directly or through other members."),
  tcpFallbackPingsTotal: counter("TCP fallback pings tried after a probe got no UDP ack."),
  tcpFallbackSuccessesTotal: counter("Probes answered over TCP but not over UDP (a sign of UDP loss or a firewall)."),
  suspicions: counter("Members this node started to suspect."),
  deaths: counter("Members declared dead."),
  refutations: counter("Suspicions about this node that it refuted."),
  pushPulls: counter("Full state exchanges over TCP (joins and periodic push/pull)."),
  pushPullFailures: counter("Full state exchanges that failed (refused, timed out, undecodable)."),
  reconnects: counter("Attempts to rejoin dead members."),
  streamsAccepted: counter("TCP connections accepted from other members."),
  streamErrors: counter("TCP connections from other members that failed."),
  unexpectedPings: counter("Pings addressed to another member name (a restarted member on a reused address)."),
  conflicts: counter("Alive messages about a known member from a different address (two members with one name)."),
  badVersions: counter("Alive messages with impossible protocol versions."),
  decryptFailuresTotal: counter("Datagrams and streams that could not be decrypted, or whose encryption differs from this node's (a wrong gossip key)."),
  errorRepliesTotal: counter("memberlist error replies sent on streams that did not decrypt or decode, so the other member learns why."),
  remoteErrorsTotal: counter("memberlist error replies received in answer to this node's push/pulls."),
  joinErrorsTotal: counter("join() calls that failed because the seeds answered with what could not be used (a wrong gossip key, most likely)."),
  userBroadcastsQueued: counter("User messages queued for gossip with broadcast()."),
  userBroadcastsDropped: counter("User broadcasts dropped before all their retransmits because more than maxQueuedBroadcasts were queued."),
  userMessagesSent: counter("User messages sent directly to one member (sendBestEffort, sendReliable)."),
  userMessagesReceived: counter("User messages received, gossiped or sent directly over UDP or TCP."),
  delegateErrorsTotal: counter(
    "Hooks, user state callbacks and user message listeners that threw or returned what they must not; user states over maxUserStateBytes.",
  ),
  aliveRefusedTotal: counter("Alive messages the notifyAlive hook refused: the member was not added or updated."),
  mergesRefusedTotal: counter("Join push/pulls whose member list the notifyMerge hook refused to merge."),
  queuedUserBroadcasts: gauge("User messages waiting to be piggybacked."),
  stallsTotal: counter(
    "Times this node noticed its own timers firing a fifth of the probe timeout or more late (a busy event loop or a starved process); each raises its health score, as Lifeguard does when a node finds it is the slow one.",
  ),
  maxTimerLatenessMs: gauge(
    "The longest any of this node's protocol timers fired after its time, in milliseconds, since start (how long its event loop has been stalled at worst).",
  ),
  members: gauge("Members alive or suspect as this node sees them, itself included."),
  healthScore: gauge("Lifeguard's local health multiplier: 0 is healthy; higher means this node misses acks and slows its probes."),
  queuedBroadcasts: gauge("Gossip messages waiting to be piggybacked."),
  udpUnreachable: gauge("1 while UDP between members looks blocked (the last probes reached members only through the TCP fallback ping), else 0."),
  tcpOnlyMembers: gauge("Live members whose latest successful probe reached them only over TCP."),
  gossipKeyMismatch: gauge("1 while gossip from another member cannot be read for key or encryption reasons (the membership's problem says which), else 0."),
};
