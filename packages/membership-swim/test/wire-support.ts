/** Shared helpers of the wire tests: fast-check arbitraries of every memberlist struct, hex, and the Go oracle. */
import { spawn } from "node:child_process";
import fc from "fast-check";
import { buildGoProgram } from "@cachecluster/testing/go";
import type { Alive, AckResp, Dead, ErrResp, IndirectPingReq, NackResp, Ping, PushNodeState, Suspect } from "../src/wire/index.js";
import { MessageType } from "../src/wire/index.js";

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
// Lengths around the fixstr/str16 boundary (31/32) matter: Go writes no str8.
const str = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 30, maxLength: 34 }), fc.constantFrom("", "node-1", "ü-ñ-🙂"));
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 30, maxLength: 34 }));
const addr = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }));
const vsn = fc.uint8Array({ minLength: 6, maxLength: 6 });

/** Drops omitempty fields holding their zero value, as the decoder leaves them out. */
function dropEmpty<T extends object>(v: T, keys: readonly string[]): T {
  const out = { ...v } as Record<string, unknown>;
  for (const k of keys) {
    const x = out[k];
    if (x === 0 || x === "" || (x instanceof Uint8Array && x.length === 0)) delete out[k];
  }
  return out as T;
}
const SOURCE = ["SourceAddr", "SourcePort", "SourceNode"];

export const arbPing: fc.Arbitrary<Ping> = fc
  .record({ SeqNo: u32, Node: str, SourceAddr: addr, SourcePort: u16, SourceNode: str }, { requiredKeys: ["SeqNo", "Node"], noNullPrototype: true })
  .map((v) => dropEmpty(v, SOURCE));
export const arbIndirectPing: fc.Arbitrary<IndirectPingReq> = fc
  .record(
    { SeqNo: u32, Target: addr, Port: u16, Node: str, Nack: fc.boolean(), SourceAddr: addr, SourcePort: u16, SourceNode: str },
    { requiredKeys: ["SeqNo", "Target", "Port", "Node", "Nack"], noNullPrototype: true },
  )
  .map((v) => dropEmpty(v, SOURCE));
export const arbAck: fc.Arbitrary<AckResp> = fc.record({ SeqNo: u32, Payload: bytes }, { noNullPrototype: true });
export const arbNack: fc.Arbitrary<NackResp> = fc.record({ SeqNo: u32 }, { noNullPrototype: true });
export const arbErr: fc.Arbitrary<ErrResp> = fc.record({ Error: str }, { noNullPrototype: true });
export const arbSuspect: fc.Arbitrary<Suspect> = fc.record({ Incarnation: u32, Node: str, From: str }, { noNullPrototype: true });
export const arbDead: fc.Arbitrary<Dead> = fc.record({ Incarnation: u32, Node: str, From: str }, { noNullPrototype: true });
export const arbAlive: fc.Arbitrary<Alive> = fc.record(
  { Incarnation: u32, Node: str, Addr: addr, Port: u16, Meta: bytes, Vsn: vsn },
  { noNullPrototype: true },
);
export const arbPushNodeState: fc.Arbitrary<PushNodeState> = fc.record(
  {
    Name: str,
    Addr: addr,
    Port: u16,
    Meta: bytes,
    Incarnation: u32,
    State: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
    Vsn: vsn,
  },
  { noNullPrototype: true },
);

/** Go struct name of each message type, and an arbitrary of its body. */
export const KINDS = [
  { kind: "ping", type: MessageType.Ping, arb: arbPing },
  { kind: "indirectPingReq", type: MessageType.IndirectPing, arb: arbIndirectPing },
  { kind: "ackResp", type: MessageType.AckResp, arb: arbAck },
  { kind: "nackResp", type: MessageType.NackResp, arb: arbNack },
  { kind: "errResp", type: MessageType.Err, arb: arbErr },
  { kind: "suspect", type: MessageType.Suspect, arb: arbSuspect },
  { kind: "alive", type: MessageType.Alive, arb: arbAlive },
  { kind: "dead", type: MessageType.Dead, arb: arbDead },
] as const;

/** Any leaf message a datagram carries, as [type, body]. */
export const arbLeaf = fc.oneof(
  arbPing.map((b) => ({ type: MessageType.Ping, body: b }) as const),
  arbIndirectPing.map((b) => ({ type: MessageType.IndirectPing, body: b }) as const),
  arbAck.map((b) => ({ type: MessageType.AckResp, body: b }) as const),
  arbNack.map((b) => ({ type: MessageType.NackResp, body: b }) as const),
  arbSuspect.map((b) => ({ type: MessageType.Suspect, body: b }) as const),
  arbAlive.map((b) => ({ type: MessageType.Alive, body: b }) as const),
  arbDead.map((b) => ({ type: MessageType.Dead, body: b }) as const),
  fc.uint8Array({ maxLength: 60 }).map((b) => ({ type: MessageType.User, body: b }) as const),
);

/** A struct value as the Go oracle takes it: byte slices as hex. */
export function toGo(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = v instanceof Uint8Array ? hex(v) : v;
  return out;
}

/** A struct value the Go oracle printed (bytes as hex) with byte fields turned back into Uint8Array. */
export function fromGo(value: Record<string, unknown>, byteFields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = byteFields.includes(k) ? unhex(v as string) : v;
  return out;
}

export interface GoResult {
  hex?: string;
  value?: unknown;
  err?: string;
}

/** Sends one request to packages/testing/go/memberlist-vectors (memberlist's own code paths) and returns its answer. */
export function askGo(request: Record<string, unknown>): Promise<Record<string, GoResult[]>> {
  return runGo("memberlist-vectors", request);
}

/** Runs packages/testing/go/<program> with one JSON request on stdin and parses its JSON answer (killed after 30 s). */
export async function runGo<T>(program: string, request: Record<string, unknown>): Promise<T> {
  const bin = await buildGoProgram(program);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${program} exited ${code}: ${Buffer.concat(err).toString()}`));
      try {
        resolve(JSON.parse(Buffer.concat(out).toString()) as T);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    child.stdin.end(JSON.stringify(request));
  });
}
