/// <reference types="node" preserve="true" />
import assert from "node:assert/strict";
import { after, afterEach, describe, it } from "node:test";
import type { DiscoveredPeer, LocalNode, Member, Membership, MembershipEvent } from "@cachecluster/core";

/** What an implementation provides to run the Membership compliance suite. */
export interface MembershipComplianceSetup {
  /** Suite title suffix, e.g. "SwimMembership on the memory network". */
  readonly name: string;
  /** A new, not yet started member; the suite starts it as `local` (the same object `create` was given). */
  create(local: LocalNode): Promise<Membership> | Membership;
  /** The address a member with this name binds (`LocalNode.host`); default `127.0.0.1`. */
  host?(name: string): string;
  /** How other members reach `member` (after it started) as a seed. */
  seed(member: Membership): DiscoveredPeer;
  /** Let time pass (real or virtual) until `done()` holds or `timeoutMs` passed; resolves with `done()`. */
  waitFor(done: () => boolean, timeoutMs: number): Promise<boolean>;
  /** Kill a member without a goodbye (kill -9). Without it, the "fail" test is skipped. */
  crash?(member: Membership): Promise<void>;
  /** Change a started member's cache URL (metadata update). Without it, the "update" test is skipped. */
  updateCacheUrl?(member: Membership, cacheUrl: string): Promise<void>;
  /**
   * Drive a pending operation (join, leave) to completion. On a virtual clock this must advance time
   * until `promise` settles; on a real one, return it. Default: the promise itself.
   */
  settle?<T>(promise: Promise<T>): Promise<T>;
  /** Upper bound, in the setup's time, for failure detection and dissemination. Default 30 s. */
  readonly detectionTimeoutMs?: number;
  /** Called after each test. */
  cleanup?(): Promise<void>;
}

/**
 * The Membership contract: joining through a seed, members() with self, join/leave/fail/update events,
 * leave seen by others, stop twice, the cache URL carried as metadata.
 */
/** One member under test with the events it has seen. */
interface TestMember {
  readonly m: Membership;
  readonly events: MembershipEvent[];
  readonly name: string;
  readonly url: string;
}

export function membershipCompliance(setup: MembershipComplianceSetup): void {
  describe(`Membership compliance: ${setup.name}`, () => {
    const started: Membership[] = [];
    const timeout = setup.detectionTimeoutMs ?? 30_000;
    let counter = 0;
    const settle = <T>(p: Promise<T>): Promise<T> => (setup.settle === undefined ? p : setup.settle(p));

    async function member(label: string): Promise<TestMember> {
      const name = `${label}-${++counter}`;
      const url = `http://cache-${name}.test:9080`;
      const local = localNode(name, url);
      const m = await setup.create(local);
      const events: MembershipEvent[] = [];
      m.onEvent((e) => events.push(e));
      await m.start(local);
      started.push(m);
      return { m, events, name, url };
    }

    const localNode = (name: string, cacheUrl: string): LocalNode => ({ name, host: setup.host?.(name) ?? "127.0.0.1", cacheUrl });
    const ids = (members: readonly Member[]): string[] => members.map((x) => x.id).sort();

    /** Three members a, b, c joined through a, once all three see each other. */
    async function threeJoined(): Promise<[TestMember, TestMember, TestMember]> {
      const a = await member("a");
      const b = await member("b");
      const c = await member("c");
      await settle(b.m.join([setup.seed(a.m)]));
      await settle(c.m.join([setup.seed(a.m)]));
      assert.ok(await setup.waitFor(() => [a, b, c].every((x) => x.m.members().length === 3), timeout));
      return [a, b, c];
    }

    /** `gone` leaves the members() of each of `others`, whose first event about it after the join is `type`. */
    async function expectGone(gone: TestMember, others: TestMember[], type: "leave" | "fail", state: "left" | "dead"): Promise<void> {
      assert.ok(await setup.waitFor(() => others.every((x) => !x.m.members().some((y) => y.id === gone.name)), timeout));
      for (const x of others) {
        const event = x.events.find((e) => e.member.id === gone.name && e.type !== "join");
        assert.equal(event?.type, type, `${x.name} saw ${JSON.stringify(event)}`);
        assert.equal(event?.member.state, state);
      }
    }

    afterEach(async () => {
      for (const m of started.splice(0)) await m.stop();
      await setup.cleanup?.();
    });
    after(async () => {
      for (const m of started.splice(0)) await m.stop();
    });

    it("members() is empty and self() refuses before start(); after, members() is self, alive, with its cache URL", async () => {
      const name = `solo-${++counter}`;
      const local = localNode(name, "http://solo.test:9080");
      const m = await setup.create(local);
      assert.deepEqual(m.members(), []);
      assert.throws(() => m.self(), { code: "CACHECLUSTER_NOT_STARTED" });
      await m.start(local);
      started.push(m);
      assert.equal(m.self().id, name);
      const members = m.members();
      assert.deepEqual(ids(members), [name]);
      assert.equal(members[0]?.state, "alive");
      assert.equal(members[0]?.cacheUrl, "http://solo.test:9080");
      assert.equal(m.self().cacheUrl, "http://solo.test:9080");
    });

    it("members joining through one seed all see each other, with each one's cache URL", async () => {
      const a = await member("a");
      const b = await member("b");
      const c = await member("c");
      assert.equal(await settle(b.m.join([setup.seed(a.m)])), 1);
      assert.equal(await settle(c.m.join([setup.seed(a.m)])), 1);
      const all = [a.name, b.name, c.name].sort();
      const converged = await setup.waitFor(() => [a, b, c].every((x) => ids(x.m.members()).join() === all.join()), timeout);
      assert.ok(converged, `views: ${JSON.stringify([a, b, c].map((x) => ids(x.m.members())))}`);
      for (const x of [a, b, c]) {
        for (const y of x.m.members()) {
          const expected = [a, b, c].find((z) => z.name === y.id)?.url;
          assert.equal(y.cacheUrl, expected, `${x.name} sees ${y.id} with cache URL ${y.cacheUrl}`);
        }
      }
    });

    it("join resolves with 0 and does not throw when no seed answers", async () => {
      const a = await member("lonely");
      const b = await member("gone");
      const seed = setup.seed(b.m);
      await b.m.stop();
      assert.equal(await settle(a.m.join([seed])), 0);
      assert.deepEqual(ids(a.m.members()), [a.name]);
    });

    it("emits a join event for each member that joins, carrying its cache URL", async () => {
      const a = await member("a");
      const b = await member("b");
      await settle(b.m.join([setup.seed(a.m)]));
      assert.ok(await setup.waitFor(() => a.events.some((e) => e.type === "join" && e.member.id === b.name), timeout));
      const event = a.events.find((e) => e.type === "join" && e.member.id === b.name);
      assert.equal(event?.member.cacheUrl, b.url);
      assert.equal(event?.member.state, "alive");
      assert.equal(typeof event?.at, "number");
      assert.ok(!a.events.some((e) => e.member.id === a.name), "no events about self");
    });

    it("a member that leaves is removed from the others' members() with a leave event", async () => {
      const [a, b, c] = await threeJoined();
      await settle(c.m.leave(2000));
      await c.m.stop();
      await expectGone(c, [a, b], "leave", "left");
    });

    it("a member that crashes is detected: fail event and removed from members()", async (t) => {
      if (setup.crash === undefined) {
        t.skip("the setup cannot crash a member");
        return;
      }
      const [a, b, c] = await threeJoined();
      await setup.crash(c.m);
      await expectGone(c, [a, b], "fail", "dead");
    });

    it("a changed cache URL reaches the others as an update event", async (t) => {
      if (setup.updateCacheUrl === undefined) {
        t.skip("the setup cannot change a member's cache URL");
        return;
      }
      const a = await member("a");
      const b = await member("b");
      await settle(b.m.join([setup.seed(a.m)]));
      assert.ok(await setup.waitFor(() => a.m.members().length === 2, timeout));
      await setup.updateCacheUrl(b.m, "http://moved.test:9081");
      assert.ok(await setup.waitFor(() => a.m.members().some((y) => y.id === b.name && y.cacheUrl === "http://moved.test:9081"), timeout));
      const event = a.events.find((e) => e.type === "update" && e.member.id === b.name);
      assert.equal(event?.member.cacheUrl, "http://moved.test:9081");
    });

    it("stop() twice, and stop() before start(), are safe", async () => {
      const m = await setup.create(localNode(`idle-${++counter}`, "http://idle.test:9080"));
      await m.stop();
      const a = await member("a");
      await a.m.stop();
      await a.m.stop();
      await settle(a.m.leave(10));
    });
  });
}
