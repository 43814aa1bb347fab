/** Counters of one SWIM member; read them with `SwimMembership.stats()`. */
export class ProtocolStats {
  packetsReceived = 0;
  packetsSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** Packets that were dropped whole (undecodable, wrong key, unknown type). */
  packetsDropped = 0;
  /** Packets or messages (parts of a compound, stream messages) that did not decode. */
  decodeErrors = 0;
  messagesReceived = 0;
  probes = 0;
  indirectProbes = 0;
  probeFailures = 0;
  /** Probes that got no UDP ack, directly or through other members. */
  udpProbeFailuresTotal = 0;
  /** TCP fallback pings tried (after a probe got no UDP ack within probeTimeout). */
  tcpFallbackPingsTotal = 0;
  /** Probes saved by the TCP fallback ping: the member answered over TCP but not over UDP. */
  tcpFallbackSuccessesTotal = 0;
  suspicions = 0;
  deaths = 0;
  refutations = 0;
  pushPulls = 0;
  pushPullFailures = 0;
  reconnects = 0;
  streamsAccepted = 0;
  streamErrors = 0;
  /** Pings addressed to another member name (a restarted member on a reused address). */
  unexpectedPings = 0;
  /** Alive messages about a known member from a different address (memberlist's conflict). */
  conflicts = 0;
  /** Alive messages with impossible protocol versions. */
  badVersions = 0;
  /** Datagrams and streams that could not be decrypted, or whose encryption differs from ours (a wrong gossip key). */
  decryptFailuresTotal = 0;
  /** memberlist error replies sent on streams that did not decode, so the other member learns why. */
  errorRepliesTotal = 0;
  /** memberlist error replies received in answer to our push/pulls. */
  remoteErrorsTotal = 0;
  /** join() calls that failed because the seeds' answers could not be used (a wrong key, most likely). */
  joinErrorsTotal = 0;
  /** User messages queued for gossip with `broadcast()`. */
  userBroadcastsQueued = 0;
  /** User broadcasts dropped unsent (or not sent as often as the others) because over maxQueuedBroadcasts were queued. */
  userBroadcastsDropped = 0;
  /** User messages sent directly to one member (`sendBestEffort`, `sendReliable`). */
  userMessagesSent = 0;
  /** User messages received (gossiped, or sent directly over UDP or TCP). */
  userMessagesReceived = 0;
  /** Hooks, user state callbacks and user message listeners that threw (or returned an oversized state). */
  delegateErrorsTotal = 0;
  /** Alive messages `notifyAlive` refused: the member was not added or updated. */
  aliveRefusedTotal = 0;
  /** Join push/pulls whose member list `notifyMerge` refused to merge. */
  mergesRefusedTotal = 0;
  /** Times this member noticed its own timers firing late by probeTimeout/5 or more (a stalled event loop or process); each raised its health score. */
  stallsTotal = 0;
  /** The latest any of this member's timers fired after its time, in ms (since start). */
  maxTimerLatenessMs = 0;

  snapshot(): SwimStats {
    return { ...this };
  }
}

export type SwimStats = { readonly [K in keyof ProtocolStats as ProtocolStats[K] extends number ? K : never]: number };
