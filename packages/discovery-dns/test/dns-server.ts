// A tiny authoritative DNS server for tests: answers A, AAAA and SRV questions for one zone over UDP and TCP
// (RFC 1035 wire format, RFC 2782 SRV, RFC 3596 AAAA) on 127.0.0.1 and an arbitrary port, with switches for the
// failures a real server shows: NXDOMAIN, SERVFAIL, REFUSED, silence (timeouts), malformed answers.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { type Server, createServer, isIPv4, isIPv6 } from "node:net";

export const TYPE = { A: 1, NS: 2, SOA: 6, AAAA: 28, SRV: 33, OPT: 41 } as const;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface AddressRecord {
  readonly address: string;
  readonly ttl?: number;
}
export interface SrvRecord {
  readonly target: string;
  readonly port: number;
  readonly priority?: number;
  readonly weight?: number;
  readonly ttl?: number;
}
export interface NameRecords {
  readonly A?: readonly AddressRecord[];
  readonly AAAA?: readonly AddressRecord[];
  readonly SRV?: readonly SrvRecord[];
}

/** What the server does with a question for a name instead of answering from the zone. */
export type Fault =
  | "nxdomain"
  | "servfail"
  | "refused"
  /** Never answers (the client times out). */
  | "silent"
  /** Answers with a record that claims more bytes than the message has. */
  | "truncated-record"
  /** Answers an A question with a 3-byte address. */
  | "bad-address-length"
  /** Answers with the wrong question id (a client ignores it: timeout). */
  | "wrong-id"
  /** Answers 5 bytes of garbage. */
  | "garbage";

export interface Question {
  readonly name: string;
  readonly type: number;
  readonly transport: "udp" | "tcp";
}

const DEFAULT_TTL = 30;

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

/** Reads a (possibly compressed) domain name at `offset`; returns it and the offset after it. */
function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = offset;
  let next = -1;
  for (let jumps = 0; jumps < 64; jumps++) {
    const len = msg.readUInt8(pos);
    if (len === 0) {
      return { name: labels.join("."), next: next === -1 ? pos + 1 : next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (next === -1) next = pos + 2;
      pos = msg.readUInt16BE(pos) & 0x3fff;
      continue;
    }
    labels.push(msg.toString("latin1", pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new Error("name compression loop");
}

function encodeName(name: string): Buffer {
  const parts = normalizeName(name)
    .split(".")
    .filter((l) => l.length > 0);
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])), Buffer.from([0])]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function rr(type: number, ttl: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(10);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(1, 2); // IN
  head.writeUInt32BE(ttl, 4);
  head.writeUInt16BE(rdata.length, 8);
  // 0xc00c: a pointer to the question's name, right after the 12-byte header.
  return Buffer.concat([Buffer.from([0xc0, 0x0c]), head, rdata]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = "", tail = ""] = address.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = address.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = address.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}

export class FakeDnsServer {
  /** Every question received, in order. */
  readonly questions: Question[] = [];
  readonly #records = new Map<string, NameRecords>();
  readonly #faults = new Map<string, Fault>();
  readonly #udp: Socket;
  readonly #tcp: Server;
  readonly zone: string;
  /** Largest UDP answer before the TC bit is set (the client then asks over TCP). */
  udpLimit = 512;

  private constructor(zone: string, udp: Socket, tcp: Server) {
    this.zone = normalizeName(zone);
    this.#udp = udp;
    this.#tcp = tcp;
  }

  /** Starts serving `zone` on 127.0.0.1, UDP and TCP on the same (free) port. */
  static async start(zone = "cluster.test"): Promise<FakeDnsServer> {
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket("udp4");
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind(0, "127.0.0.1", () => resolve());
      });
      const tcp = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once("error", reject);
          tcp.listen(udp.address().port, "127.0.0.1", () => resolve());
        });
      } catch (error) {
        udp.close();
        if (attempt < 10) continue;
        throw error;
      }
      const server = new FakeDnsServer(zone, udp, tcp);
      udp.on("message", (msg, rinfo) => server.#onUdp(msg, rinfo));
      tcp.on("connection", (socket) => {
        let buffered = Buffer.alloc(0);
        socket.on("error", () => {});
        socket.on("data", (chunk) => {
          buffered = Buffer.concat([buffered, chunk]);
          while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
            const msg = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
            buffered = buffered.subarray(2 + msg.length);
            const answer = server.#answer(msg, "tcp");
            if (answer !== undefined) socket.write(Buffer.concat([u16(answer.length), answer]));
          }
        });
      });
      return server;
    }
  }

  get port(): number {
    return this.#udp.address().port;
  }

  /** `127.0.0.1:PORT`, for `Resolver.setServers` (the plugin's `servers` option). */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Sets the records of `name` (replacing what it had); an empty object leaves the name existing with no records. */
  set(name: string, records: NameRecords): void {
    this.#records.set(normalizeName(name), records);
  }

  delete(name: string): void {
    this.#records.delete(normalizeName(name));
  }

  /** Makes questions for `name` fail with `fault` (undefined: answer normally again). */
  fault(name: string, fault: Fault | undefined): void {
    if (fault === undefined) this.#faults.delete(normalizeName(name));
    else this.#faults.set(normalizeName(name), fault);
  }

  /** Questions received for `name` (any type). */
  count(name: string): number {
    const n = normalizeName(name);
    return this.questions.filter((q) => q.name === n).length;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
  }

  #onUdp(msg: Buffer, rinfo: RemoteInfo): void {
    let answer = this.#answer(msg, "udp");
    if (answer === undefined) return;
    if (answer.length > this.udpLimit) {
      // Truncated: header and question only, TC set; the client retries over TCP.
      const question = answer.subarray(0, this.#questionEnd(answer));
      answer = Buffer.from(question);
      answer.writeUInt16BE(answer.readUInt16BE(2) | 0x0200, 2);
      answer.writeUInt16BE(0, 6);
      answer.writeUInt16BE(0, 8);
      answer.writeUInt16BE(0, 10);
    }
    this.#udp.send(answer, rinfo.port, rinfo.address);
  }

  #questionEnd(msg: Buffer): number {
    return readName(msg, 12).next + 4;
  }

  /** The answer to one query message, or undefined to stay silent. */
  #answer(msg: Buffer, transport: "udp" | "tcp"): Buffer | undefined {
    if (msg.length < 12) return undefined;
    const id = msg.readUInt16BE(0);
    const rd = msg.readUInt16BE(2) & 0x0100;
    let name: string;
    let type: number;
    let end: number;
    try {
      if (msg.readUInt16BE(4) !== 1) throw new Error("expected one question");
      const q = readName(msg, 12);
      name = normalizeName(q.name);
      type = msg.readUInt16BE(q.next);
      end = q.next + 4;
    } catch {
      return this.#header(id, rd, RCODE.FORMERR, 0, 0);
    }
    this.questions.push({ name, type, transport });
    const question = msg.subarray(12, end);
    const reply = (rcode: number, answers: Buffer[], authority: Buffer[] = []): Buffer =>
      Buffer.concat([this.#header(id, rd, rcode, answers.length, authority.length), question, ...answers, ...authority]);

    const fault = this.#faults.get(name);
    switch (fault) {
      case "silent":
        return undefined;
      case "nxdomain":
        return reply(RCODE.NXDOMAIN, [], [this.#soa()]);
      case "servfail":
        return reply(RCODE.SERVFAIL, []);
      case "refused":
        return reply(RCODE.REFUSED, []);
      case "garbage":
        return Buffer.from([1, 2, 3, 4, 5]);
      case "wrong-id": {
        const answer = reply(RCODE.NOERROR, []);
        answer.writeUInt16BE((id + 1) & 0xffff, 0);
        return answer;
      }
      case "bad-address-length":
        return reply(RCODE.NOERROR, [rr(TYPE.A, DEFAULT_TTL, Buffer.from([10, 0, 0]))]);
      case "truncated-record":
        return reply(RCODE.NOERROR, [rr(type, DEFAULT_TTL, Buffer.alloc(16)).subarray(0, 14)]);
      case undefined:
        break;
    }
    if (name !== this.zone && !name.endsWith(`.${this.zone}`)) return reply(RCODE.REFUSED, []);
    const records = this.#records.get(name);
    if (records === undefined) return reply(RCODE.NXDOMAIN, [], [this.#soa()]);
    const answers: Buffer[] = [];
    if (type === TYPE.A) {
      for (const r of records.A ?? []) {
        if (!isIPv4(r.address)) throw new Error(`not an IPv4 address: ${r.address}`);
        answers.push(rr(TYPE.A, r.ttl ?? DEFAULT_TTL, Buffer.from(r.address.split(".").map(Number))));
      }
    } else if (type === TYPE.AAAA) {
      for (const r of records.AAAA ?? []) {
        if (!isIPv6(r.address)) throw new Error(`not an IPv6 address: ${r.address}`);
        answers.push(rr(TYPE.AAAA, r.ttl ?? DEFAULT_TTL, ipv6Bytes(r.address)));
      }
    } else if (type === TYPE.SRV) {
      for (const r of records.SRV ?? []) {
        answers.push(rr(TYPE.SRV, r.ttl ?? DEFAULT_TTL, Buffer.concat([u16(r.priority ?? 0), u16(r.weight ?? 0), u16(r.port), encodeName(r.target)])));
      }
    } else {
      return reply(RCODE.NOTIMP, []);
    }
    // No records of this type: NOERROR with an empty answer and the zone's SOA (NODATA, RFC 2308).
    return reply(RCODE.NOERROR, answers, answers.length === 0 ? [this.#soa()] : []);
  }

  #header(id: number, rd: number, rcode: number, answers: number, authority: number): Buffer {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(id, 0);
    h.writeUInt16BE(0x8000 | 0x0400 | rd | rcode, 2); // QR, AA, RD copied
    h.writeUInt16BE(1, 4);
    h.writeUInt16BE(answers, 6);
    h.writeUInt16BE(authority, 8);
    h.writeUInt16BE(0, 10);
    return h;
  }

  /** The zone's SOA record (negative answers carry it; its minimum is the negative-caching TTL). */
  #soa(): Buffer {
    const rdata = Buffer.concat([encodeName(`ns.${this.zone}`), encodeName(`hostmaster.${this.zone}`), Buffer.alloc(20)]);
    rdata.writeUInt32BE(1, rdata.length - 20); // serial
    rdata.writeUInt32BE(5, rdata.length - 4); // minimum (negative TTL)
    const head = Buffer.alloc(10);
    head.writeUInt16BE(TYPE.SOA, 0);
    head.writeUInt16BE(1, 2);
    head.writeUInt32BE(5, 4);
    head.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([encodeName(this.zone), head, rdata]);
  }
}
