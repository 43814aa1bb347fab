import { isIPv4, isIPv6 } from "node:net";

/** An IP address as memberlist puts it on the wire: 4 bytes for IPv4, 16 for IPv6. */
export function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split(".").map(Number));
  if (isIPv6(ip)) return ipv6ToBytes(ip);
  throw new Error(`expected an IP address, got ${JSON.stringify(ip)}`);
}

/** The text form of a wire IP (4 bytes, or 16 with IPv4-mapped addresses shown as IPv4); undefined if malformed. */
export function bytesToIp(bytes: Uint8Array): string | undefined {
  if (bytes.byteLength === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.byteLength !== 16) return undefined;
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (bytes[i] !== 0) mapped = false;
  if (mapped) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

function ipv6ToBytes(ip: string): Uint8Array {
  const out = new Uint8Array(16);
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4 !== null) {
    const parts = v4[1]!.split(".").map(Number);
    tail = [(parts[0]! << 8) | parts[1]!, (parts[2]! << 8) | parts[3]!];
    text = text
      .slice(0, -v4[1]!.length)
      .replace(/:$/, ":0:0")
      .replace(/::0:0$/, "::");
    if (text.endsWith(":0:0")) text = text.slice(0, -4);
  }
  const [head = "", rest] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":").map((g) => parseInt(g, 16));
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":").map((g) => parseInt(g, 16));
  const total = 8 - tail.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...new Array<number>(total - headGroups.length - restGroups.length).fill(0), ...restGroups];
  const all = [...groups.slice(0, total), ...tail];
  all.forEach((g, i) => {
    out[2 * i] = (g >> 8) & 255;
    out[2 * i + 1] = g & 255;
  });
  return out;
}
