/** An SRV record as `node:dns` returns it. */
export interface SrvAnswer {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/**
 * The SRV records of a peer list, in a stable order. RFC 2782's priority and weight tell a client which one server
 * to contact; in a peer list every target is a peer, so they only order it: lowest priority first, then highest
 * weight, then target name and port. Records that cannot name a peer (port 0, target ".") are left out, each with
 * a reason; `unavailable` is RFC 2782's "service decidedly not available": the only record has target ".".
 */
export function orderSrvRecords(raw: readonly SrvAnswer[], query: string): { records: SrvAnswer[]; problems: string[]; unavailable: boolean } {
  const problems: string[] = [];
  const records: SrvAnswer[] = [];
  const isRoot = (name: string): boolean => name === "" || name === ".";
  for (const r of raw) {
    const name = r.name.replace(/\.$/, "");
    if (isRoot(r.name)) {
      if (raw.length > 1) problems.push(`SRV ${query}: a record with target "." among others`);
    } else if (r.port === 0) {
      problems.push(`SRV ${query}: target ${name} with port 0`);
    } else {
      records.push({ ...r, name });
    }
  }
  records.sort((a, b) => a.priority - b.priority || b.weight - a.weight || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || a.port - b.port);
  return { records, problems, unavailable: raw.length === 1 && isRoot(raw[0]?.name ?? "") };
}
