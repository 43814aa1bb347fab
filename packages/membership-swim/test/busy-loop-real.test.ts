import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { SwimMembership } from "../src/index.js";
import { MemberProcess } from "./helpers/processes.js";
import { FAST, pollUntil } from "./helpers/real.js";
import { busyWait, pingWatchingNetwork, stallWhileInFlight } from "./helpers/stall-network.js";

describe("a member whose event loop is blocked while its own probe is in flight", () => {
  const processes: MemberProcess[] = [];
  after(async () => {
    for (const p of processes) await p.kill();
  });

  it("reads the ack that arrived during the block before it counts the probe as failed: the healthy peer is not suspected", async () => {
    const peer = new MemberProcess("peer", [], { ...FAST, host: undefined, port: undefined, advertise: undefined });
    processes.push(peer);
    await peer.ready();
    let armed = false;
    let blocks = 0;
    // the TCP fallback ping is off so that only the UDP ack, waiting in the socket, can save the probe
    const member = new SwimMembership(
      { ...FAST, disableTcpPings: true },
      {
        local: { name: "busy", host: "127.0.0.1", cacheUrl: "http://127.0.0.1/busy" },
        network: pingWatchingNetwork(
          () => armed,
          (ping) => {
            if (!armed || ping.to !== peer.address) return;
            armed = false;
            // after the loop polled once (so the block starts as the app's own work would), with the ack not
            // read yet: block for 5 probe periods; the peer's ack arrives meanwhile, every timer of the probe
            // expires, and the next loop turn runs the expired timers before it polls the socket
            void stallWhileInFlight(ping, () => busyWait(1000)).then((blocked) => {
              if (blocked) blocks++;
              else armed = true; // the ack was back before the loop could block: try the next probe
            });
          },
        ),
      },
    );
    try {
      await member.start();
      await member.join([{ host: "127.0.0.1", clusterPort: peer.port }]);
      assert.ok(await pollUntil(() => member.members().length === 2 && peer.members.length === 2, 10_000), "the two members see each other");
      const before = member.stats();
      armed = true;
      assert.ok(await pollUntil(() => blocks === 1, 5000), "the loop was blocked during a probe");
      // a few more periods, so a suspicion (or its gossip) would show
      await pollUntil(() => false, 1000);
      const stats = member.stats();
      assert.equal(stats.probeFailures - before.probeFailures, 0, "no failed probe");
      assert.equal(stats.suspicions - before.suspicions, 0, "no suspicion");
      assert.ok(stats.maxTimerLatenessMs >= 700, `the member measured its own stall (${stats.maxTimerLatenessMs} ms)`);
      assert.ok(stats.stallsTotal >= 1, "and counted it");
    } finally {
      await member.stop();
    }
  });
});
