import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { silentLogger } from "../src/index.js";
import { MemberAddresses } from "../src/cluster/member-addresses.js";
import { canonicalIp } from "../src/net/canonical-ip.js";

const member = (cacheUrl: string, address: string): { cacheUrl: string; address: string } => ({ cacheUrl, address });

describe("canonicalIp: one spelling per IP address", () => {
  it("keeps IPv4, compresses IPv6, and reads IPv4-mapped IPv6 as IPv4", () => {
    assert.equal(canonicalIp("10.0.0.7"), "10.0.0.7");
    assert.equal(canonicalIp("::ffff:10.0.0.7"), "10.0.0.7");
    assert.equal(canonicalIp("::FFFF:0a00:0007"), "10.0.0.7");
    assert.equal(canonicalIp("[2001:DB8:0:0:0:0:0:1]"), "2001:db8::1");
    assert.equal(canonicalIp("fe80::1%eth0"), "fe80::1");
    assert.equal(canonicalIp("::1"), "::1");
    assert.equal(canonicalIp("cache-1.internal"), undefined);
    assert.equal(canonicalIp("10.0.0.256"), undefined);
  });
});

describe("MemberAddresses: is a request's source address a current member's?", () => {
  it("knows each member by its cache URL host and its gossip host, in any spelling a socket reports", () => {
    const addresses = new MemberAddresses(silentLogger, async () => []);
    addresses.update([member("http://10.0.0.7:9080", "10.0.0.7:9999"), member("http://[2001:db8::1]:9080", "10.0.1.9:9999")]);
    for (const from of ["10.0.0.7", "::ffff:10.0.0.7", "2001:db8::1", "10.0.1.9", "::ffff:10.0.1.9"]) assert.ok(addresses.has(from), from);
    for (const from of ["10.0.0.8", "::ffff:10.0.0.8", "2001:db8::2", "", "not an address"]) assert.ok(!addresses.has(from), from);
  });

  it("follows the members: a departed member's address is no longer one", () => {
    const addresses = new MemberAddresses(silentLogger, async () => []);
    addresses.update([member("http://10.0.0.7:9080", "10.0.0.7:9999"), member("http://10.0.0.8:9080", "10.0.0.8:9999")]);
    assert.ok(addresses.has("10.0.0.8"));
    addresses.update([member("http://10.0.0.7:9080", "10.0.0.7:9999")]);
    assert.ok(!addresses.has("10.0.0.8"));
  });

  it("resolves host names in the background; an unresolvable one matches nothing and is logged", async () => {
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? "") };
    const addresses = new MemberAddresses(logger, async (host) => {
      if (host === "cache-1.internal") return ["10.0.0.7", "fd00::7"];
      throw new Error("ENOTFOUND");
    });
    addresses.update([member("http://cache-1.internal:9080", "cache-1.internal:9999"), member("http://gone.internal:9080", "gone.internal:9999")]);
    assert.ok(!addresses.has("10.0.0.7"), "not before the name is resolved");
    await new Promise((r) => setImmediate(r));
    assert.ok(addresses.has("10.0.0.7"));
    assert.ok(addresses.has("fd00::7"));
    assert.deepEqual(addresses.list(), ["10.0.0.7", "fd00::7"]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /cannot resolve the member host gone\.internal/);
  });
});
