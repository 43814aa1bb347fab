/** Bytes whose content says which key and version they belong to, so a mix-up cannot go unnoticed. */
export function valueFor(key: string, version: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let h = Math.imul(version, 2654435761);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  for (let i = 0; i < length; i++) {
    h = Math.imul(h ^ i, 16777619);
    out[i] = h >>> 24;
  }
  return out;
}
